/** The journal: append-only events, and the state projected from them (SPEC 3, 6). */
import type { EventName, NewEvent } from './events.js';
import type { Projection } from './project.js';

export interface Journal {
  /**
   * Append; durable before returning unless `sync` is false, for events that
   * announce nothing: the next synced event makes them durable with it.
   */
  append<E extends EventName>(event: NewEvent<E>, opts?: { sync?: boolean }): Promise<void>;
  /** The projection for one runbook (fast: snapshot plus tail). */
  project(runbook: string): Promise<Projection>;
  /** Save a snapshot so later reads replay only the tail. */
  checkpoint(): Promise<void>;
  /**
   * A stage or a stage's rollback began or ended: a journal that can lose
   * events (a file cut back, a backup restored) saves what it holds now, so
   * such a loss is noticed later.
   */
  milestone?(): Promise<void>;
  close(): Promise<void>;
}
