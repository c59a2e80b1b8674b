/**
 * Virtual time: `sleep` registers a timer, and time jumps to the earliest
 * timer once the process is idle (everything runnable has run). A 24 h window
 * sampled every 30 s takes a few thousand turns of the event loop.
 */
import type { Clock } from '../../src/engine/clock.js';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** How many event-loop turns must pass with nothing new before time moves (dynamic imports take a few). */
const IDLE_TURNS = 4;

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private scheduled = false;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Virtual milliseconds since the clock was made. */
  get elapsed(): number {
    return this.t - Date.parse('2026-01-01T00:00:00Z');
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer: Timer = {
        at: this.t + ms,
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
      };
      const cancel = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      signal?.addEventListener('abort', cancel, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    let turns = 0;
    const seen = this.seq;
    const turn = () => {
      // A new timer since we started waiting means work is still going on: wait for quiet again.
      if (++turns < IDLE_TURNS || this.seq !== seen) return void setImmediate(this.seq !== seen ? restart : turn);
      this.scheduled = false;
      this.fireNext();
    };
    const restart = () => {
      this.scheduled = false;
      this.schedule();
    };
    setImmediate(turn);
  }

  private fireNext(): void {
    if (!this.timers.length) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers.shift()!;
    this.t = Math.max(this.t, next.at);
    next.fire();
    if (this.timers.length) this.schedule();
  }
}
