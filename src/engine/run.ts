/**
 * Runs as the journal sees them: take the lock, journal run.started, do the
 * work, journal run.finished with its outcome, checkpoint, release the lock
 * in finally. `stage`, `up` and `rollback` read top to bottom from here.
 */
import { hostname } from 'node:os';
import {
  DeclinedError,
  InterruptedError,
  MigrateError,
  RollbackFailedError,
  RollbackStoppedError,
  StageFailedError,
  UsageError,
} from '../errors.js';
import { EventName } from '../journal/events.js';
import { currentStage, type Projection } from '../journal/project.js';
import type { Outcome } from '../journal/types.js';
import { findStage } from '../plan/compile.js';
import { record, type RunContext } from './context.js';
import { rollbackStage } from './rollback.js';
import { stopLeftovers } from './groups.js';
import {
  alreadyApplied,
  blocker,
  planRollback,
  type IrreversibleStop,
  type RollbackOptions,
} from '../plan/readiness.js';
import { runStage } from './stage.js';

/** Errors from blocker(): the run was refused, nothing changed. */
const refused = new WeakSet<Error>();

function outcomeOf(e: unknown): Outcome {
  // Refused before changing anything (wrong stage, damaged journal): not a failed run.
  if (e instanceof Error && refused.has(e)) return 'blocked';
  if (e instanceof RollbackFailedError) return 'rollback_failed';
  if (e instanceof DeclinedError) return 'declined';
  if (e instanceof InterruptedError) return 'interrupted';
  if (e instanceof StageFailedError) return e.rolledBack ? 'rolled_back' : 'failed';
  return 'failed';
}

/** `why`: the operator's reason (an emergency's --reason), kept in history, with a failure's reason beside it. */
async function withRun<T>(
  ctx: RunContext,
  command: string,
  stages: number[],
  body: (p: Projection) => Promise<T>,
  why: string | null = null,
): Promise<T> {
  const { takenOver } = await ctx.lock.acquire({
    pid: process.pid,
    host: hostname(),
    operator: ctx.operator,
    since: new Date(ctx.clock.now()).toISOString(),
    run_id: ctx.runId,
  });
  const started = ctx.clock.now();
  let outcome: Outcome = 'succeeded';
  let reason: string | null = why;
  try {
    if (takenOver) await record(ctx, EventName.LockTakenOver, { previous: takenOver });
    await record(ctx, EventName.RunStarted, { command, stages, pid: process.pid, host: ctx.host });
    const p = await ctx.journal.project(ctx.runbook.name);
    for (const line of [...(p.notes ?? []), ...(p.damage ?? [])]) ctx.reporter.message(`journal: ${line}`);
    // A run that died (kill -9) may have left steps running: stop them before acting on top of them.
    await stopLeftovers(ctx, p);
    return await body(p);
  } catch (e) {
    outcome = outcomeOf(e);
    const failure = (e instanceof MigrateError && e.reason) || (e as Error).message;
    // The operator's reason stays: history must say why someone acted, and also why it stopped.
    reason = why && failure !== why ? `${why} (${failure})` : failure;
    throw e;
  } finally {
    const total = ctx.clock.now() - started;
    await record(ctx, EventName.RunFinished, {
      outcome,
      reason,
      stages,
      working_ms: total - ctx.waited.ms,
      waiting_ms: ctx.waited.ms,
    }).catch(() => {});
    await ctx.journal.checkpoint().catch(() => {});
    await ctx.lock.release();
    await ctx.notifier?.flush();
  }
}

export interface StageRunOptions {
  resume: boolean;
  autoRollback: boolean;
}

/** Inside a run: check stage N may run, then run it. False when it was already applied. */
async function stageInRun(ctx: RunContext, n: number, opts: StageRunOptions): Promise<boolean> {
  const p = await ctx.journal.project(ctx.runbook.name);
  const block = blocker(p, n, opts.resume);
  if (block) {
    refused.add(block);
    throw block;
  }
  if (alreadyApplied(p, n)) return false;
  await runStage(ctx, n, p, opts);
  return true;
}

/** Returns false when the stage was already applied (nothing to do). */
export async function runStageCommand(ctx: RunContext, n: number, opts: StageRunOptions): Promise<boolean> {
  findStage(ctx.runbook, n);
  const before = await ctx.journal.project(ctx.runbook.name);
  if (alreadyApplied(before, n)) return false;
  return withRun(ctx, `stage ${n}${opts.resume ? ' --resume' : ''}`, [n], () => stageInRun(ctx, n, opts));
}

/** The remaining stages up to N, in order, as one run that stops at the first failure. */
export async function runUpCommand(ctx: RunContext, to: number | undefined, opts: StageRunOptions): Promise<number[]> {
  const last = to ?? ctx.runbook.stages.length;
  findStage(ctx.runbook, last);
  const p = await ctx.journal.project(ctx.runbook.name);
  const todo = ctx.runbook.stages.map((s) => s.id).filter((id) => id > currentStage(p) && id <= last);
  if (!todo.length) return [];
  return withRun(ctx, to === undefined ? 'up' : `up --to ${to}`, todo, async () => {
    const ran: number[] = [];
    for (const n of todo) if (await stageInRun(ctx, n, opts)) ran.push(n);
    return ran;
  });
}

export async function runRollbackCommand(ctx: RunContext, opts: RollbackOptions): Promise<number[]> {
  const before = await ctx.journal.project(ctx.runbook.name);
  if (opts.to !== undefined && opts.to > currentStage(before))
    throw new UsageError(`--to ${opts.to} is above the current stage ${currentStage(before)}`);
  const planned = planRollback(before, opts, ctx.runbook);
  if (!planned.targets.length) {
    if (planned.stop) throw stoppedAt(planned.stop, []);
    return [];
  }
  const command =
    opts.command ??
    (opts.emergency ? 'rollback --emergency' : opts.to !== undefined ? `rollback --to ${opts.to}` : 'rollback');
  return withRun(
    ctx,
    command,
    planned.targets.map((t) => t.stage),
    async (p) => {
      const done: number[] = [];
      const failures: string[] = [];
      const { targets, stop } = planRollback(p, opts, ctx.runbook);
      const to = opts.emergency
        ? (stop?.stage ?? 0)
        : (opts.to ?? p.rolling?.to ?? Math.min(...targets.map((t) => t.stage)) - 1);
      await ctx.reporter.beginRollback(
        targets.map((t) => t.stage),
        opts.emergency,
      );
      for (const t of targets) {
        const stage = findStage(ctx.runbook, t.stage);
        const r = await rollbackStage(ctx, stage, t, {
          emergency: opts.emergency,
          reason: opts.reason ?? 'operator rollback',
          to,
        });
        if (!r.ok) {
          failures.push(...r.failures);
          if (!opts.emergency) break;
        } else done.push(t.stage);
      }
      if (failures.length)
        throw new RollbackFailedError(
          `rollback failed: ${failures.join('; ')}`,
          "state is dirty: fix it by hand, then run 'migrate rollback' again",
          failures.join('; '),
        );
      if (stop) throw stoppedAt(stop, done);
      return done;
    },
    opts.reason,
  );
}

function stoppedAt(stop: IrreversibleStop, done: number[]): RollbackStoppedError {
  const list = (xs: number[]) => `stage${xs.length > 1 ? 's' : ''} ${xs.join(', ')}`;
  const head = `${done.length ? `rolled back ${list(done)}, then ` : ''}STOPPED at ${stop.name}: it is irreversible`;
  return new RollbackStoppedError(
    `${head}; ${list(stop.keeps)} ${stop.keeps.length > 1 ? 'stay' : 'stays'} applied`,
    `the state is consistent at stage ${stop.stage}; undoing further needs a person (a forward fix, or by hand)`,
    `stopped at irreversible stage ${stop.stage}; ${list(stop.keeps)} stay applied`,
  );
}
