/** The journal and lock in memory: same projection as the real ones, no files. */
import { apply, emptyProjection, type Projection } from '../../src/journal/project.js';
import type { Lock, LockInfo, StopRequest } from '../../src/journal/types.js';
import type { EventFields, EventName, JournalEvent, NewEvent } from '../../src/journal/events.js';
import type { Journal } from '../../src/journal/journal.js';
import { LockHeldError } from '../../src/errors.js';

export class MemoryJournal implements Journal {
  readonly events: JournalEvent[] = [];

  async append<E extends EventName>(event: NewEvent<E>): Promise<void> {
    this.events.push({ ts: new Date().toISOString(), ...event } as unknown as JournalEvent);
  }

  async project(runbook: string): Promise<Projection> {
    return this.events.filter((e) => e.runbook === runbook).reduce(apply, emptyProjection(runbook));
  }

  async checkpoint(): Promise<void> {}
  async close(): Promise<void> {}
}

export class MemoryLock implements Lock {
  private held: LockInfo | null = null;

  async acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }> {
    if (this.held) throw new LockHeldError(`locked by ${this.held.operator}`);
    this.held = info;
    return { takenOver: null };
  }

  async release(): Promise<void> {
    this.held = null;
  }

  async holder(): Promise<LockInfo | null> {
    return this.held;
  }

  async remove(): Promise<void> {
    this.held = null;
  }

  /** Stop requests received, for tests to read. */
  readonly stops: StopRequest[] = [];

  /** No other process to signal in memory: the holder counts as stopped at once, as a killed one would. */
  async preempt(holder: LockInfo, request: StopRequest): Promise<void> {
    this.stops.push(request);
    if (this.held && this.held.run_id === holder.run_id && this.held.pid === holder.pid) this.held = null;
  }

  /** Requests that do not stop the holder (promote): kept for tests to read. */
  async request(_holder: LockInfo, request: StopRequest): Promise<void> {
    this.stops.push(request);
  }
}

/**
 * Events as an older or partial writer may leave them: only the fields a test
 * needs, for runbook 'rb', run 'r1', digest 'd1', each `stepMs` after the last.
 */
export function eventMaker(stepMs: number) {
  let t = 0;
  return <E extends EventName>(
    event: E,
    extra: Partial<EventFields[E]> & { runbook?: string; digest?: string } = {},
  ): JournalEvent =>
    ({
      ts: new Date(1_700_000_000_000 + t++ * stepMs).toISOString(),
      run_id: 'r1',
      runbook: 'rb',
      digest: 'd1',
      event,
      operator: 'op',
      ...extra,
    }) as unknown as JournalEvent;
}
