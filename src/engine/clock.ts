/**
 * Waiting time (gates, pauses, windows), counted live: stage timeouts and the
 * working/waiting split in history exclude it. Overlapping waits (parallel
 * pauses) count once.
 */
export class WaitClock {
  private total = 0;
  private active = 0;
  private since = 0;

  begin(): void {
    if (this.active++ === 0) this.since = Date.now();
  }

  end(): void {
    if (--this.active === 0) this.total += Date.now() - this.since;
  }

  /** Milliseconds spent waiting so far, including a wait in progress. */
  get ms(): number {
    return this.total + (this.active > 0 ? Date.now() - this.since : 0);
  }
}
