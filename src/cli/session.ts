/**
 * Wiring a run for the terminal: journal, lock, process runner, reporter,
 * prompter, and the one SIGINT -> AbortController path.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { stepId } from '../runbook/types.js';
import { randomUUID } from 'node:crypto';
import type { RunContext } from '../engine/context.js';
import { ChildRunner } from '../engine/process.js';
import { Notifier } from '../engine/notify.js';
import { HoldControl } from '../engine/hold.js';
import { systemClock, WaitClock } from '../engine/clock.js';
import { PreemptedError } from '../errors.js';
import { openStore, operatorName, stateDir, targetOf } from './store.js';
import { openFlagStore } from '../flags/open.js';
import type { FlagStore } from '../flags/store.js';
import { loadRunbook, type GlobalOptions, type LoadedRunbook, type LoadHow } from './context.js';
import { createPrompter } from './prompt.js';
import { createReporter, printableReporter, wantsBoard } from './reporter.js';
import type { ListrBoard } from './listr-board.js';

export interface Session {
  ctx: RunContext;
  rb: LoadedRunbook;
  /** The live task list, when a person is watching a terminal. */
  board?: ListrBoard;
  /** A fresh interrupt for what this process does after the run was interrupted (the roll-back it then asks for). */
  rearm: () => AbortSignal;
  /** Waits for the live list to draw its last frame (call before printing the outcome). */
  settle: () => Promise<void>;
  dispose: () => Promise<void>;
}

/** file:line:col of a step, from the runbook as loaded. */
function stepLocation(rb: LoadedRunbook, stage: number, step: string): string | undefined {
  const si = rb.runbook.stages.findIndex((s) => s.id === stage);
  const i = (rb.runbook.stages[si]?.steps ?? []).findIndex((s, k) => stepId(s, k) === step);
  if (si < 0 || i < 0) return undefined;
  return rb.where(['stages', si, 'steps', i]);
}

export async function createSession(opts: GlobalOptions, how: LoadHow = {}): Promise<Session> {
  const runId = randomUUID();
  const operator = operatorName();
  const rb = await loadRunbook(opts, { operator, run_id: runId }, how);
  const controller = new AbortController();
  // What Ctrl-C (and an emergency) stops: the run, then whatever follows it in this process (rearm).
  let current = controller;
  const holds = new HoldControl();
  // An emergency rollback (or a lost lock) stops this run like Ctrl-C, with the reason journaled; a promote ends the running canary hold.
  const { journal, lock } = await openStore(opts, targetOf(rb), (r) => {
    if (r.kind === 'promote') holds.request(r);
    else
      current.abort(
        new PreemptedError(r.lost ? r.reason : `stopped by an emergency rollback by ${r.operator}: ${r.reason}`),
      );
  });
  const board = wantsBoard(opts) ? new (await import('./listr-board.js')).ListrBoard(rb.vars) : undefined;
  // Aborting is idempotent: a second Ctrl-C while the first is handled changes nothing.
  const onSigint = () => current.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  process.on('SIGHUP', onSigint); // a closed terminal or ssh session: stop like Ctrl-C, never leave a step running unjournaled
  const ctx: RunContext = {
    runbook: rb.runbook,
    file: rb.file,
    digest: rb.digest,
    vars: rb.vars,
    cwd: rb.cwd,
    shell: rb.shell,
    journal,
    lock,
    runner: new ChildRunner(),
    reporter: board ? printableReporter(board) : createReporter(opts, rb.vars),
    prompter: createPrompter(opts, board, () => current.signal),
    operator,
    host: hostname(),
    runId,
    signal: controller.signal,
    waited: new WaitClock(systemClock),
    clock: systemClock,
    stepEnv: {
      MIGRATE_RUNBOOK: resolve(rb.file),
      MIGRATE_RUN_ID: runId,
      MIGRATE_OPERATOR: operator,
      MIGRATE_STATE_DIR: stateDir(opts, rb.file),
    },
    holds,
    where: (stage, step) => stepLocation(rb, stage, step),
    volatility: rb.volatility,
    flags: () =>
      (flagStore ??= openFlagStore(rb.runbook, {
        runner: ctx.runner,
        vars: rb.vars,
        cwd: ctx.cwd,
        shell: ctx.shell,
        stateDir: stateDir(opts, rb.file),
      })),
  };
  let flagStore: Promise<FlagStore> | undefined;
  if (rb.runbook.notify?.length) ctx.notifier = new Notifier(rb.runbook.notify, ctx);
  return {
    ctx,
    rb,
    board,
    rearm: () => {
      current = new AbortController();
      return current.signal;
    },
    // The live list's last frame is drawn before the outcome line, however fast the run was.
    settle: async () => {
      await board?.finish();
    },
    dispose: async () => {
      await board?.finish();
      if (flagStore) await (await flagStore.catch(() => null))?.close();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      process.off('SIGHUP', onSigint);
      await journal.close();
    },
  };
}
