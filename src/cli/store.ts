/** Where the journal and lock live, and who is operating: light enough for `status`. */
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { FileJournal } from '../journal/file.js';
import { FileLock } from '../journal/lockfile.js';
import type { Journal, Lock } from '../journal/types.js';
import type { GlobalOptions } from './context.js';

export function operatorName(): string {
  let user = process.env.USER ?? 'unknown';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return `${user}@${hostname()}`;
}

export function stateDir(opts: GlobalOptions): string {
  return resolve(opts.stateDir ?? process.env.MIGRATE_STATE_DIR ?? '.migrate');
}

export function openStore(opts: GlobalOptions, runbook: string): { journal: Journal; lock: Lock } {
  const url = opts.journal ?? process.env.MIGRATE_JOURNAL_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError('the PostgreSQL journal is not available in this build yet', 'omit --journal / MIGRATE_JOURNAL_URL to use the file journal in --state-dir');
  }
  if (url) throw new UsageError(`--journal must be a postgres:// URL, got '${url}'`);
  const dir = stateDir(opts);
  return { journal: new FileJournal(dir), lock: new FileLock(dir, runbook) };
}
