/**
 * One stage, top to bottom: preflight -> gate -> steps -> monitor window ->
 * verify -> stage.completed. Any failure after the gate rolls the stage back
 * (unless told not to). The caller holds the lock and opens the run.
 */
import {
  BreachError,
  DeclinedError,
  EnvironmentError,
  failureKind,
  InterruptedError,
  PreemptedError,
  PromotionDeclinedError,
  RollbackFailedError,
  StageFailedError,
  StageTimeoutError,
  VerifyFailedError,
} from '../errors.js';
import { EventName } from '../journal/events.js';
import { holdLeftMs, type Projection } from '../journal/project.js';
import { compileStageLinted, findStage } from '../plan/compile.js';
import type { NodeOf } from '../plan/graph.js';
import type { Stage } from '../runbook/types.js';
import { parseDuration } from '../runbook/duration.js';
import { sampleCheck } from './checks.js';
import { record, waiting, type RunContext } from './context.js';
import { rollbackStage } from './rollback.js';
import { runSteps } from './steps.js';
import { FailureKind, TaskState } from './types.js';
import { watchWindow } from './window.js';
import { walkCanary } from './canary.js';
import { stageChecks, takeBaselines, type Baselines, type Watched } from './baselines.js';
import type { CanaryRecord } from '../plan/rollback.js';

export interface StageOptions {
  resume: boolean;
  autoRollback: boolean;
}

async function runChecks(
  ctx: RunContext,
  id: string,
  title: string,
  checks: Watched[],
  kind: FailureKind,
  baselines: Baselines,
): Promise<void> {
  if (!checks.length) return;
  ctx.reporter.task(id, title, TaskState.Running);
  const samples = await Promise.all(checks.map((w) => sampleCheck(w.check, ctx, { baseline: baselines.get(w.id) })));
  if (ctx.signal.aborted) throw new InterruptedError('interrupted');
  for (const s of samples) ctx.reporter.output(id, `${s.result === 'passed' ? '✓' : '✗'} ${s.message}`);
  const bad = samples.filter((s) => s.result !== 'passed');
  const event = kind === FailureKind.Preflight ? EventName.PreflightFinished : EventName.VerifyFinished;
  await record(ctx, event, {
    ok: bad.length === 0,
    samples: samples.map(({ check, value, result, message }) => ({ check, value, result, message })),
  });
  ctx.reporter.task(
    id,
    title,
    bad.length ? TaskState.Failed : TaskState.Succeeded,
    bad.length ? bad.map((s) => s.message).join('; ') : undefined,
  );
  if (!bad.length) return;
  const message = `${title} failed: ${bad.map((s) => s.message).join('; ')}`;
  throw kind === FailureKind.Verify ? new VerifyFailedError(message) : new StageFailedError(message);
}

/**
 * A stage's `timeout` counts working time only: waits at gates, pauses and
 * windows are excluded. When it runs out, running steps are stopped (their
 * process groups killed) through a signal of the stage's own.
 */
function stageDeadline(ctx: RunContext, limitMs: number | null) {
  if (limitMs === null) return { ctx, expired: () => false, clear: () => {} };
  const controller = new AbortController();
  const stop = new AbortController();
  const started = ctx.clock.now();
  const waitedBefore = ctx.waited.ms;
  const working = () => ctx.clock.now() - started - (ctx.waited.ms - waitedBefore);
  let expired = false;
  // Sleep for the working time left; waits in between push the end further, so check again on waking.
  void (async () => {
    while (!stop.signal.aborted) {
      const left = limitMs - working();
      if (left < 0) {
        expired = true;
        controller.abort();
        return;
      }
      await ctx.clock.sleep(left + 1, stop.signal);
    }
  })();
  return {
    ctx: { ...ctx, signal: AbortSignal.any([ctx.signal, controller.signal]) },
    expired: () => expired,
    clear: () => stop.abort(),
  };
}

export async function runStage(
  ctx: RunContext,
  stageNumber: number,
  projection: Projection,
  opts: StageOptions,
): Promise<void> {
  const stage = findStage(ctx.runbook, stageNumber);
  const graph = await compileStageLinted(ctx.runbook, stageNumber, ctx.vars, ctx.volatility);
  const resuming = opts.resume && projection.active?.stage === stageNumber;
  const skip = new Set(resuming ? projection.active!.completed.map((c) => c.step) : []);
  await ctx.reporter.beginStage(graph);

  // Preflight and gate change nothing: a failure here leaves no trace but the journal.
  const checks = stageChecks(ctx.runbook, stage);
  if (!resuming) {
    // A preflight baseline can only be now: sampled live, just before the check.
    const live = await takeBaselines(ctx, checks.preflight);
    await runChecks(ctx, 'preflight', 'preflight', checks.preflight, FailureKind.Preflight, live);
  }
  const gate = graph.nodes.find((n): n is NodeOf<'gate'> => n.type === 'gate');
  if (gate && !resuming) {
    ctx.reporter.task('gate', gate.label, TaskState.Waiting);
    // --yes answers a yes/no gate; only the stage's own name (--confirm-stage, or typed) answers a typed-name gate.
    const typedGate = gate.gate === 'stage-name';
    const given = typedGate ? Boolean(ctx.prompter.preconfirmed?.(stage.name)) : ctx.prompter.assumeYes;
    const via = given ? (typedGate ? '--confirm-stage' : '--yes') : 'prompt';
    let yes: boolean;
    try {
      yes =
        given ||
        (await waiting(ctx, () =>
          typedGate ? ctx.prompter.typed(gate.label, stage.name) : ctx.prompter.confirm(gate.label),
        ));
    } catch (e) {
      ctx.reporter.task(
        'gate',
        gate.label,
        TaskState.Failed,
        e instanceof InterruptedError ? 'interrupted' : 'no answer',
      );
      throw e;
    }
    await record(ctx, EventName.GateAnswered, { stage: stage.id, gate: gate.label, answer: yes ? 'yes' : 'no', via });
    ctx.reporter.task(
      'gate',
      gate.label,
      yes ? TaskState.Succeeded : TaskState.Failed,
      yes ? (given ? `yes (${via})` : 'yes') : typedGate ? 'declined: the name typed did not match' : 'declined',
    );
    if (!yes && typedGate)
      throw new DeclinedError(
        `gate declined: ${gate.label}: what was typed is not the stage name "${stage.name}"`,
        `nothing was changed; run it again and type the name exactly as shown (case and spaces count), or pass --confirm-stage "${stage.name}"`,
      );
    if (!yes) throw new DeclinedError(`gate declined: ${gate.label}`, 'nothing was changed');
  }

  // Baselines are taken once, before anything changes; a resumed stage reuses the journaled ones.
  const journaled = resuming ? projection.active!.baselines : undefined;
  const baselines: Baselines = journaled
    ? new Map(Object.entries(journaled))
    : await takeBaselines(ctx, [...checks.window, ...checks.verify], (id, v) =>
        ctx.reporter.output('baseline', `baseline ${id}: ${JSON.stringify(v)}`),
      );

  await record(ctx, EventName.StageStarted, {
    stage: stage.id,
    name: stage.name,
    resume: resuming,
    baselines: Object.fromEntries(baselines),
  });
  // Saved: a journal later cut back to before this stage began (a backup restored, a disk that
  // lost its tail) is then noticed, and no rollback undoes the stage below.
  await ctx.journal.milestone?.().catch(() => {});
  const deadline = stageDeadline(ctx, stage.timeout ? parseDuration(stage.timeout)! : null);
  const outer = ctx;
  ctx = deadline.ctx;
  try {
    const steps = graph.nodes.filter((n): n is NodeOf<'step'> => n.type === 'step');
    await runSteps(ctx, steps, stage.steps ?? [], stage.id, skip);
    const canary = graph.nodes.filter((n): n is NodeOf<'canary'> => n.type === 'canary');
    const reached = resuming ? ((projection.active!.records.canary as CanaryRecord | undefined) ?? null) : null;
    const resumeAt = reached && { ...reached, leftMs: holdLeftMs(projection.active!.canary, false) };
    if (canary.length) await walkCanary(ctx, stage, canary, checks.window, baselines, resumeAt);
    const monitor = graph.nodes.find((n): n is NodeOf<'monitor'> => n.type === 'monitor');
    if (monitor) {
      ctx.reporter.task('monitor', monitor.label, TaskState.Running);
      await watchWindow(
        ctx,
        {
          id: 'monitor',
          durationMs: monitor.duration_ms,
          intervalMs: monitor.interval_ms,
          checks: checks.window,
          tolerate: monitor.tolerate,
          errorLimit: monitor.error_limit,
          onBreach: monitor.on_breach,
          onNoData: monitor.on_no_data,
        },
        baselines,
      ).catch((e: unknown) => {
        if (e instanceof InterruptedError) ctx.reporter.task('monitor', monitor.label, TaskState.Failed, 'stopped');
        throw e;
      });
      ctx.reporter.task('monitor', monitor.label, TaskState.Succeeded);
    }
    await runChecks(ctx, 'verify', 'verify', checks.verify, FailureKind.Verify, baselines);
    await record(ctx, EventName.StageCompleted, { stage: stage.id });
    deadline.clear();
  } catch (caught) {
    let e = caught;
    deadline.clear();
    ctx = outer;
    if (deadline.expired())
      e = new StageTimeoutError(
        `stage ${stage.id} ran out of time: ${stage.timeout} of working time (waits at gates and in windows do not count)`,
      );
    // The journal cannot be written (disk full, read-only): undoing now would act unrecorded. The journal
    // shows what ran; the step whose outcome was lost is in doubt, and the next rollback undoes it.
    if (e instanceof EnvironmentError) throw e;
    if (e instanceof PromotionDeclinedError) {
      // Not a failure: the operator is not ready. The canary holds where it is.
      await record(ctx, EventName.StageInterrupted, { stage: stage.id, reason: e.message });
      throw e;
    }
    if (!deadline.expired() && (e instanceof InterruptedError || ctx.signal.aborted)) {
      // Stopped from outside (an emergency rollback, a lost lock): journal why.
      const stop = ctx.signal.reason instanceof PreemptedError ? ctx.signal.reason : null;
      await record(ctx, EventName.StageInterrupted, {
        stage: stage.id,
        ...(stop && { reason: stop.message, preempted: true }),
      });
      throw stop ?? (e instanceof InterruptedError ? e : new InterruptedError('interrupted'));
    }
    return failStage(ctx, stage, e, opts);
  }
}

/** Journal the failure and, unless told not to, roll the stage back. Always throws. */
async function failStage(ctx: RunContext, stage: Stage, e: unknown, opts: StageOptions): Promise<never> {
  const reason = e instanceof BreachError ? `breach: ${e.message}` : (e as Error).message;
  if (e instanceof BreachError) ctx.reporter.task(e.window, e.window, TaskState.Failed, e.message);
  await record(ctx, EventName.StageFailed, { stage: stage.id, reason, kind: failureKind(e) });
  // A pause that needed a person is a declined gate (exit 5), but after changes: they are rolled back like any failure.
  const declined = e instanceof DeclinedError;
  if (!opts.autoRollback) {
    const hint = `not rolled back (--no-auto-rollback): run 'migrate rollback' or 'migrate stage ${stage.id} --resume'`;
    if (declined) throw new DeclinedError(`stage ${stage.id} stopped: ${reason}`, hint, reason);
    throw new StageFailedError(`stage ${stage.id} failed: ${reason}`, hint);
  }
  const p = await ctx.journal.project(ctx.runbook.name);
  const mine = p.active?.stage === stage.id ? p.active : null;
  ctx.reporter.message(`rolling back stage ${stage.id}: ${reason}`);
  const undo = mine ? [...mine.completed.map((c) => c.step), ...mine.in_doubt] : [];
  const target = { stage: stage.id, completed: undo, records: mine?.records ?? {}, undone: [] };
  const rb = await rollbackStage(ctx, stage, target, { emergency: false, reason, to: stage.id - 1 });
  if (!rb.ok)
    throw new RollbackFailedError(
      `stage ${stage.id} failed (${reason}) and its rollback failed: ${rb.failures.join('; ')}`,
      "state is dirty: fix it by hand, then 'migrate rollback' again",
      reason,
    );
  if (declined) throw new DeclinedError(`stage ${stage.id} stopped and was rolled back: ${reason}`, e.hint, reason);
  throw StageFailedError.rolledBack(`stage ${stage.id} failed and was rolled back: ${reason}`, reason);
}
