/** The journal's locks, run states and outcomes (the events are in events.ts, the journal itself in journal.ts). */
export enum RunState {
  /** Nothing running, nothing broken. */
  Clean = 'clean',
  /** A run holds the lock right now. */
  InProgress = 'in_progress',
  /** A run never finished (the process died); roll back or --resume. */
  Interrupted = 'interrupted',
  /** A rollback failed: manual intervention needed. */
  Dirty = 'dirty',
}

export type Outcome =
  'succeeded' | 'failed' | 'rolled_back' | 'rollback_failed' | 'declined' | 'interrupted' | 'blocked';

export interface RunSummary {
  run_id: string;
  command: string;
  stages: number[];
  outcome: Outcome | null;
  started_at: string;
  finished_at: string | null;
  operator: string;
  reason: string | null;
  working_ms: number | null;
  waiting_ms: number | null;
}

export interface LockInfo {
  pid: number;
  host: string;
  operator: string;
  since: string;
  run_id?: string;
  /** PostgreSQL lock: the server session (backend pid) holding the advisory lock; `pid` is the migrate process. */
  session?: number;
  /** When the holding process started (Linux clock ticks): tells the holder from a later process that reused its pid. */
  started?: number;
  /** Set by holder(): proven gone (its process is dead on this host); the next run takes it over, `unlock` may remove it. */
  stale?: boolean;
  /** Set by holder(): whether it lives cannot be checked from here (another host, or an unreadable lock); only `unlock --force` removes it. */
  unverifiable?: boolean;
  /** Set by holder(): why the lock file could not be read. */
  unreadable?: string;
}

/** What a request asks of the run holding the lock: stop now (an emergency), or end its current canary hold early. */
export type RequestKind = 'abort' | 'promote';

/** A request to the run holding the lock: an emergency rollback asking it to stop now, or `promote` ending a hold. */
export interface StopRequest {
  /** Absent: abort. */
  kind?: RequestKind;
  /** The run asked. */
  run_id?: string;
  operator: string;
  reason: string;
  at: string;
  /** Not an emergency: the lock itself was lost (its PostgreSQL session ended). */
  lost?: boolean;
  /** promote: the hold it ends, by stage and weight (a hold that ended meanwhile is not the one asked about), and the request's id, journaled with the promotion. */
  stage?: number;
  weight?: number;
  id?: string;
}

export interface Lock {
  /** Take the lock (or a dead holder's, atomically) or throw LockHeldError naming the holder. */
  acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }>;
  /** Let go of our own lock only. */
  release(): Promise<void>;
  holder(): Promise<LockInfo | null>;
  /** `unlock`: remove this holder's lock; refuses a live one (and one that cannot be checked, unless forced). */
  remove(holder: LockInfo, opts: { force: boolean }): Promise<void>;
  /** Emergency: ask this live holder to stop and wait (at most about `waitMs`) until its lock is free or it is gone. */
  preempt(holder: LockInfo, request: StopRequest, waitMs: number): Promise<void>;
  /** promote: hand this live holder a request that does not stop it; the holder journals what it did with it. */
  request(holder: LockInfo, request: StopRequest): Promise<void>;
}
