import { randomUUID } from 'node:crypto';
import { EventName } from '../../journal/events.js';
import { assertRemovable, describeHolder } from '../../journal/lockfile.js';
import type { GlobalOptions } from '../context.js';
import { loadRunbook } from '../context.js';
import { DeclinedError } from '../../errors.js';
import { out } from '../output.js';
import { createPrompter } from '../prompt.js';
import { openStore, operatorName, targetOf } from '../store.js';

/** Remove the lock of a run proven gone; never a live run's (stop that with Ctrl-C or `rollback --emergency`). */
export default async function unlock(_args: string[], opts: GlobalOptions & { force?: boolean }) {
  const rb = await loadRunbook(opts);
  const { journal, lock } = await openStore(opts, targetOf(rb));
  try {
    const holder = await lock.holder();
    if (!holder) return out('no lock is held');
    const force = Boolean(opts.force);
    assertRemovable(holder, force);
    const who = holder.unreadable ?? `the lock held by ${describeHolder(holder)}`;
    const why = holder.stale
      ? 'that process is gone'
      : 'it cannot be checked from here: only do this if that run is really gone';
    const ok = await createPrompter(opts).confirm(`Remove ${who}? (${why})`);
    if (!ok) throw new DeclinedError('unlock declined');
    const { stale, unverifiable, ...previous } = holder;
    await journal.append({
      run_id: randomUUID(),
      runbook: rb.runbook.name,
      digest: rb.digest,
      event: EventName.LockRemoved,
      operator: operatorName(),
      previous,
      proven_gone: Boolean(stale),
      forced: force && Boolean(unverifiable),
    });
    await lock.remove(holder, { force });
    out('lock removed');
  } finally {
    await journal.close();
  }
}
