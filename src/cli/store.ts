/**
 * Where the journal and lock live, and who is operating: light enough for
 * `status`. The journal is, in order: --journal, MIGRATE_JOURNAL_URL, the
 * runbook's own `journal:` (so a team's shared lock cannot be bypassed by a
 * forgotten flag), else files in the state dir, which is `.migrate` beside
 * the runbook (not the current directory: two operators in two directories
 * must meet the same lock).
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { hideCredentials } from '../runbook/url.js';
import { FileJournal } from '../journal/file.js';
import { FileLock } from '../journal/lockfile.js';
import { ensureStateDir } from '../journal/statedir.js';
import type { Lock, StopRequest } from '../journal/types.js';
import type { Journal } from '../journal/journal.js';
import { printable } from '../runbook/diagnostics.js';
import { discoverRunbook, runbookDir } from '../runbook/discover.js';
import { readIdentity } from '../runbook/identity.js';
import { renderText } from '../runbook/template.js';
import type { Runbook } from '../runbook/types.js';
import { parseSetOptions, resolveVars, type Vars } from '../runbook/vars.js';
import type { GlobalOptions } from './context.js';

export function operatorName(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${hostname()}`;
}

/** Which runbook a store serves: its name and file, and the journal URL it declares (rendered). */
export interface StoreTarget {
  name: string;
  file: string;
  journal?: string;
}

export function stateDir(opts: GlobalOptions, runbookFile: string): string {
  // An empty --state-dir would be the current directory: a journal nobody else finds.
  if (opts.stateDir === '') throw new UsageError('--state-dir is empty', 'name a directory, or leave --state-dir out');
  // An empty variable is an unset one (`MIGRATE_STATE_DIR= migrate ...`), as shells treat most.
  return resolve(opts.stateDir ?? (process.env.MIGRATE_STATE_DIR || join(runbookDir(runbookFile), '.migrate')));
}

/** The store of a loaded runbook: its `journal:` rendered with its vars. */
export function targetOf(rb: { runbook: Runbook; file: string; vars: Vars }): StoreTarget {
  const declared = rb.runbook.journal;
  return {
    name: rb.runbook.name,
    file: rb.file,
    journal: declared === undefined ? undefined : renderText(declared, (n) => rb.vars.value(n)),
  };
}

/** The store of the runbook a command means, without validating it (status and history work on a broken runbook). */
export async function identityTarget(opts: GlobalOptions): Promise<StoreTarget & { digest: string }> {
  const file = discoverRunbook(opts.runbook, process.env, process.cwd());
  const { name, digest, source } = await readIdentity(file);
  if (!/^journal:/m.test(source)) return { name, digest, file };
  // Only runbooks that declare a journal pay for parsing here.
  const { parseYamlValue: parse } = await import('../runbook/yaml.js');
  const doc = parse(source, file) as Runbook;
  if (typeof doc.journal !== 'string')
    throw new UsageError(`${file}: journal must be a postgres:// URL`, `run 'migrate validate ${file}'`);
  // Not validated yet: vars of the wrong shape are refused here, not dereferenced.
  const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (doc.vars !== undefined && (!isMap(doc.vars) || !Object.values(doc.vars).every(isMap)))
    throw new UsageError(`${file}: vars must map each name to its settings`, `run 'migrate validate ${file}'`);
  if (doc.environments !== undefined && !isMap(doc.environments))
    throw new UsageError(`${file}: environments must map each name to its settings`, `run 'migrate validate ${file}'`);
  const vars = resolveVars(doc, {
    env: process.env,
    environment: opts.env,
    set: parseSetOptions(opts.set ?? []),
    builtins: { runbook: name },
  });
  return { name, digest, file, journal: renderText(doc.journal, (n) => vars.value(n)) };
}

export interface Store {
  journal: Journal;
  lock: Lock;
  /** Where the journal is, for people (no password); `exists` is false for a file journal nothing has written yet. */
  where: { kind: 'file' | 'postgres'; location: string; source: string; exists: boolean };
}

/**
 * The journal and lock. `onStop` hears, while the lock is held, an
 * emergency's request to stop or the loss of the lock.
 */
export async function openStore(
  opts: GlobalOptions,
  target: StoreTarget,
  onStop?: (r: StopRequest) => void,
): Promise<Store> {
  const [url, source] =
    opts.journal !== undefined
      ? [opts.journal, '--journal']
      : process.env.MIGRATE_JOURNAL_URL
        ? [process.env.MIGRATE_JOURNAL_URL, 'MIGRATE_JOURNAL_URL']
        : target.journal !== undefined
          ? [target.journal, `the runbook's journal:`]
          : [undefined, ''];
  if (url !== undefined && /^postgres(ql)?:\/\//.test(url)) {
    const [{ PgJournal }, { PgLock }] = await Promise.all([
      import('../journal/postgres.js'),
      import('../journal/pglock.js'),
    ]);
    return {
      journal: new PgJournal(url),
      lock: new PgLock(url, target.name, onStop),
      where: { kind: 'postgres', location: hideCredentials(url), source, exists: true },
    };
  }
  if (url !== undefined)
    throw new UsageError(`${source} must be a postgres:// URL, got '${printable(hideCredentials(url))}'`);
  const dir = stateDir(opts, target.file);
  ensureStateDir(dir, false); // an existing one must be a private directory, also for reading
  const journal = new FileJournal(dir);
  const dirSource = opts.stateDir
    ? '--state-dir'
    : process.env.MIGRATE_STATE_DIR
      ? 'MIGRATE_STATE_DIR'
      : 'beside the runbook';
  return {
    journal,
    lock: new FileLock(dir, target.name, onStop),
    where: { kind: 'file', location: journal.path, source: dirSource, exists: existsSync(journal.path) },
  };
}
