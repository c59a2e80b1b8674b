/**
 * Runs as the journal sees them: take the lock, journal run.started, do the
 * work, journal run.finished with its outcome, checkpoint, release the lock
 * in finally. `stage`, `up` and `rollback` read top to bottom from here.
 */
import { hostname } from 'node:os';
import { DeclinedError, InterruptedError, MigrateError, RollbackFailedError, StageFailedError, UsageError } from '../errors.js';
import { EventName } from '../journal/events.js';
import { currentStage, type Projection } from '../journal/project.js';
import type { Outcome } from '../journal/types.js';
import { findStage } from '../plan/compile.js';
import { record, type RunContext } from './context.js';
import { rollbackStage } from './rollback.js';
import { assertRunnable, runStage } from './stage.js';

function outcomeOf(e: unknown): Outcome {
  if (e instanceof RollbackFailedError) return 'rollback_failed';
  if (e instanceof DeclinedError) return 'declined';
  if (e instanceof InterruptedError) return 'interrupted';
  if (e instanceof StageFailedError) return (e as { rolledBack?: boolean }).rolledBack ? 'rolled_back' : 'failed';
  return 'failed';
}

async function withRun<T>(ctx: RunContext, command: string, stages: number[], body: (p: Projection) => Promise<T>): Promise<T> {
  const { takenOver } = await ctx.lock.acquire({ pid: process.pid, host: hostname(), operator: ctx.operator, since: new Date().toISOString(), run_id: ctx.runId });
  const started = Date.now();
  let outcome: Outcome = 'succeeded';
  let reason: string | null = null;
  try {
    if (takenOver) await record(ctx, EventName.LockTakenOver, { previous: takenOver });
    await record(ctx, EventName.RunStarted, { command, stages, pid: process.pid, host: ctx.host });
    const p = await ctx.journal.project(ctx.runbook.name);
    return await body(p);
  } catch (e) {
    outcome = outcomeOf(e);
    reason = (e as { reason?: string }).reason ?? (e as Error).message;
    throw e;
  } finally {
    const total = Date.now() - started;
    await record(ctx, EventName.RunFinished, { outcome, reason, stages, working_ms: total - ctx.waited.ms, waiting_ms: ctx.waited.ms }).catch(() => {});
    await ctx.journal.checkpoint().catch(() => {});
    await ctx.lock.release();
    await ctx.notifier?.flush();
  }
}

/** Why stage N cannot run now, or null. Shared by `stage`, `--dry-run` and `plan`. */
export function blocker(p: Projection, n: number, resume: boolean): MigrateError | null {
  if (p.dirty) return new RollbackFailedError(`state is dirty: the rollback of stage ${p.dirty.stage} failed (${p.dirty.reason})`, "fix it by hand, then run 'migrate rollback' again");
  if (p.active && !(resume && p.active.stage === n)) {
    return new UsageError(`stage ${p.active.stage} did not finish (last: ${p.active.last_event}${p.active.last_step ? ` at step ${p.active.last_step}` : ''})`, `run 'migrate rollback' to undo it, or 'migrate stage ${p.active.stage} --resume' to finish it`);
  }
  if (resume && !p.active) return new UsageError(`nothing to resume: no stage was interrupted`);
  const current = currentStage(p);
  if (current < n - 1) return new UsageError(`stage ${n} needs stage ${n - 1} first (current stage is ${current})`, `run 'migrate stage ${current + 1}'`);
  return null;
}

export interface StageRunOptions { resume: boolean; autoRollback: boolean }

/** Returns false when the stage was already applied (nothing to do). */
export async function runStageCommand(ctx: RunContext, n: number, opts: StageRunOptions): Promise<boolean> {
  findStage(ctx.runbook, n);
  assertRunnable(ctx, n);
  const before = await ctx.journal.project(ctx.runbook.name);
  if (currentStage(before) >= n && !before.active) return false;
  return withRun(ctx, `stage ${n}${opts.resume ? ' --resume' : ''}`, [n], async (p) => {
    const block = blocker(p, n, opts.resume);
    if (block) throw block;
    if (currentStage(p) >= n) return false;
    await runStage(ctx, n, p, opts);
    return true;
  });
}

export async function runUpCommand(ctx: RunContext, to: number | undefined, opts: StageRunOptions, onStage: (n: number) => void): Promise<number[]> {
  const last = to ?? ctx.runbook.stages.length;
  findStage(ctx.runbook, last);
  const p = await ctx.journal.project(ctx.runbook.name);
  const todo = ctx.runbook.stages.map((s) => s.id).filter((id) => id > currentStage(p) && id <= last);
  for (const n of todo) assertRunnable(ctx, n);
  const ran: number[] = [];
  for (const n of todo) {
    onStage(n);
    if (await runStageCommand(ctx, n, { ...opts, resume: opts.resume && n === todo[0] })) ran.push(n);
  }
  return ran;
}

export interface RollbackOptions { to?: number; emergency: boolean; reason: string | null }

/** Which stages a rollback undoes, highest first, with the steps to undo in each. */
export function rollbackTargets(p: Projection, opts: RollbackOptions): { stage: number; completed: string[] }[] {
  const targets: { stage: number; completed: string[] }[] = [];
  if (p.dirty) targets.push({ stage: p.dirty.stage, completed: p.dirty.completed });
  if (p.active) targets.push({ stage: p.active.stage, completed: p.active.completed.map((c) => c.step) });
  const applied = [...p.applied].sort((a, b) => b.stage - a.stage);
  const floor = opts.emergency ? 0 : opts.to ?? (p.active || p.dirty ? Infinity : (applied[0]?.stage ?? 1) - 1);
  for (const a of applied) if (a.stage > floor) targets.push({ stage: a.stage, completed: a.completed });
  return targets;
}

export async function runRollbackCommand(ctx: RunContext, opts: RollbackOptions): Promise<number[]> {
  const before = await ctx.journal.project(ctx.runbook.name);
  if (opts.to !== undefined && opts.to > currentStage(before)) throw new UsageError(`--to ${opts.to} is above the current stage ${currentStage(before)}`);
  if (!rollbackTargets(before, opts).length) return [];
  const command = opts.emergency ? 'rollback --emergency' : opts.to !== undefined ? `rollback --to ${opts.to}` : 'rollback';
  return withRun(ctx, command, rollbackTargets(before, opts).map((t) => t.stage), async (p) => {
    const done: number[] = [];
    const failures: string[] = [];
    const targets = rollbackTargets(p, opts);
    await ctx.reporter.beginRollback(targets.map((t) => t.stage), opts.emergency);
    for (const t of targets) {
      const stage = findStage(ctx.runbook, t.stage);
      const r = await rollbackStage(ctx, stage, t.completed, { emergency: opts.emergency, reason: opts.reason ?? 'operator rollback' });
      if (!r.ok) {
        failures.push(...r.failures);
        if (!opts.emergency) break;
      } else done.push(t.stage);
    }
    if (failures.length) throw Object.assign(new RollbackFailedError(`rollback failed: ${failures.join('; ')}`, "state is dirty: fix it by hand, then run 'migrate rollback' again"), { reason: failures.join('; ') });
    return done;
  });
}
