/** Where the journal and lock live, and who is operating: light enough for `status`. */
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { FileJournal } from '../journal/file.js';
import { FileLock } from '../journal/lockfile.js';
import type { Journal, Lock, StopRequest } from '../journal/types.js';
import type { GlobalOptions } from './context.js';

export function operatorName(): string {
  let user = process.env.USER ?? 'unknown';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return `${user}@${hostname()}`;
}

export function stateDir(opts: GlobalOptions): string {
  return resolve(opts.stateDir ?? process.env.MIGRATE_STATE_DIR ?? '.migrate');
}

/**
 * The journal and lock: PostgreSQL for a postgres:// URL (shared by a team),
 * else files in the state dir. `onStop` hears, while the lock is held, an
 * emergency's request to stop or the loss of the lock.
 */
export async function openStore(opts: GlobalOptions, runbook: string, onStop?: (r: StopRequest) => void): Promise<{ journal: Journal; lock: Lock }> {
  const url = opts.journal ?? process.env.MIGRATE_JOURNAL_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const [{ PgJournal }, { PgLock }] = await Promise.all([import('../journal/postgres.js'), import('../journal/pglock.js')]);
    return { journal: new PgJournal(url), lock: new PgLock(url, runbook, onStop) };
  }
  if (url) throw new UsageError(`--journal must be a postgres:// URL, got '${url.replace(/\/\/[^@/]*@/, '//***@')}'`);
  const dir = stateDir(opts);
  return { journal: new FileJournal(dir), lock: new FileLock(dir, runbook, onStop) };
}
