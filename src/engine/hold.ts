/**
 * `migrate promote` reaches a running canary hold through the lock's request
 * channel (a signal on this host, the holder's row on PostgreSQL). The hold
 * that is running registers here; a request ends it only when it names that
 * hold, so a request that arrives late (or is seen again at every stamp)
 * never shortens the next weight's hold.
 */
import type { StopRequest } from '../journal/types.js';

export interface RunningHold {
  /** Aborted when the operator promotes: the window stops waiting after the sample round in progress. */
  readonly signal: AbortSignal;
  /** The request that ended the hold, once one did. */
  promotion(): StopRequest | null;
}

export class HoldControl {
  private current: { stage: number; weight: number; controller: AbortController; by: StopRequest | null } | null = null;

  begin(stage: number, weight: number): RunningHold {
    const hold = { stage, weight, controller: new AbortController(), by: null as StopRequest | null };
    this.current = hold;
    return { signal: hold.controller.signal, promotion: () => hold.by };
  }

  end(): void {
    this.current = null;
  }

  /** A promote request from another process: true when it ended the running hold. */
  request(r: StopRequest): boolean {
    const hold = this.current;
    if (!hold || hold.by || r.stage !== hold.stage || r.weight !== hold.weight) return false;
    hold.by = r;
    hold.controller.abort();
    return true;
  }
}
