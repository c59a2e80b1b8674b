/**
 * Wiring a run for the terminal: journal, lock, process runner, reporter,
 * prompter, and the one SIGINT -> AbortController path.
 */
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { RunContext } from '../engine/context.js';
import { ExecaRunner } from '../engine/process.js';
import { Notifier } from '../engine/notify.js';
import { FileJournal } from '../journal/file.js';
import { FileLock } from '../journal/lockfile.js';
import type { Journal, Lock } from '../journal/types.js';
import { loadRunbook, type GlobalOptions, type LoadedRunbook } from './context.js';
import { createPrompter } from './prompt.js';
import { createReporter, wantsBoard } from './reporter.js';
import type { ListrBoard } from './listr-board.js';

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

export interface Session {
  ctx: RunContext;
  rb: LoadedRunbook;
  /** The live task list, when a person is watching a terminal. */
  board?: ListrBoard;
  dispose: () => Promise<void>;
}

export async function createSession(opts: GlobalOptions): Promise<Session> {
  const runId = randomUUID();
  const operator = operatorName();
  const rb = await loadRunbook(opts, { operator, run_id: runId });
  const { journal, lock } = openStore(opts, rb.runbook.name);
  const board = wantsBoard(opts) ? new (await import('./listr-board.js')).ListrBoard(rb.vars) : undefined;
  const controller = new AbortController();
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) return; // the first one is being handled: rollback prompts follow
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const ctx: RunContext = {
    runbook: rb.runbook, file: rb.file, digest: rb.digest, vars: rb.vars,
    cwd: dirname(resolve(rb.file)), shell: rb.runbook.defaults?.shell ?? 'bash',
    journal, lock, runner: new ExecaRunner(),
    reporter: board ?? createReporter(opts, rb.vars), prompter: createPrompter(opts, board),
    operator, host: hostname(), runId, signal: controller.signal, waited: { ms: 0 },
  };
  if (rb.runbook.notify?.length) ctx.notifier = new Notifier(rb.runbook.notify, ctx);
  return {
    ctx, rb, board,
    dispose: async () => {
      await board?.finish();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      await journal.close();
    },
  };
}
