import { randomUUID } from 'node:crypto';
import { EventName } from '../../journal/events.js';
import type { GlobalOptions } from '../context.js';
import { loadRunbook } from '../context.js';
import { DeclinedError } from '../../errors.js';
import { out } from '../output.js';
import { createPrompter } from '../prompt.js';
import { openStore, operatorName } from '../store.js';

export default async function unlock(_args: string[], opts: GlobalOptions) {
  const rb = await loadRunbook(opts);
  const { journal, lock } = await openStore(opts, rb.runbook.name);
  const holder = await lock.holder();
  if (!holder) return out('no lock is held');
  const ok = await createPrompter(opts).confirm(`Remove the lock held by ${holder.operator} (pid ${holder.pid} on ${holder.host} since ${holder.since})? Only do this if that run is really gone.`);
  if (!ok) throw new DeclinedError('unlock declined');
  await journal.append({ run_id: randomUUID(), runbook: rb.runbook.name, digest: rb.digest, event: EventName.LockRemoved, operator: operatorName(), previous: holder });
  await lock.remove();
  await journal.close();
  out('lock removed');
}
