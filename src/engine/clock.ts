/**
 * Time, as the engine sees it. Windows, holds, pauses, retries and the stage
 * deadline read and wait through a `Clock`, so tests can run a 24 h window in
 * virtual time (test/harness) and nothing in the engine depends on real sleeps.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * Waiting time (gates, pauses, windows), counted live: stage timeouts and the
 * working/waiting split in history exclude it. Overlapping waits (parallel
 * pauses) count once.
 */
export class WaitClock {
  private total = 0;
  private active = 0;
  private since = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  begin(): void {
    if (this.active++ === 0) this.since = this.clock.now();
  }

  end(): void {
    if (--this.active === 0) this.total += this.clock.now() - this.since;
  }

  /** Milliseconds spent waiting so far, including a wait in progress. */
  get ms(): number {
    return this.total + (this.active > 0 ? this.clock.now() - this.since : 0);
  }
}
