/**
 * Rolling a stage back: the undo of every completed step in reverse
 * completion order, then the stage's rollback steps (SPEC 3). An emergency
 * rollback goes on past failures and records each.
 */
import { InterruptedError, PreemptedError } from '../errors.js';
import { EventName } from '../journal/events.js';
import type { RollbackTarget } from '../plan/readiness.js';
import { rollbackActions } from '../plan/rollback.js';
import type { Stage } from '../runbook/types.js';
import { actionOf, runAction } from '../actions/index.js';
import { journalingGroups } from './groups.js';
import { record, type RunContext } from './context.js';
import { TaskState } from './types.js';

export interface RollbackOutcome {
  ok: boolean;
  failures: string[];
}

/**
 * An interrupted rollback says where it stopped and what to run next: the
 * stage is half undone, so `rollback` (never `--resume`; an emergency again for
 * an emergency) finishes it, and the
 * action that was running is in doubt and runs again.
 */
function stopped(ctx: RunContext, stage: Stage, running: string | null, emergency: boolean): InterruptedError {
  const where = `rolling back stage ${stage.id}${running ? ` while '${running}' was running (in doubt: it may have run partly)` : ''}`;
  if (ctx.signal.reason instanceof PreemptedError) {
    return new PreemptedError(
      `${ctx.signal.reason.message}; it stopped this run ${where}`,
      "that emergency rollback finishes the job: see 'migrate status'",
    );
  }
  // An emergency is finished as one (past failing undos, no waits); a plain rollback would stop at the first failure.
  const next = emergency ? `migrate rollback --emergency --reason "..."` : 'migrate rollback';
  return new InterruptedError(
    `interrupted ${where}`,
    `next: run '${next}' to finish it${running ? ` ('${running}' runs again; ` : ' ('}undos the journal shows done are not repeated)`,
  );
}

export interface RollbackStageOptions {
  emergency: boolean;
  reason: string;
  /** The stage the command rolls back to: journaled, so a killed rollback resumes as far as it meant to go. */
  to: number;
}

/**
 * Each action's outcome is journaled as it finishes; actions the journal already shows
 * done (`target.undone`, from a killed rollback) are not run again. An interrupt
 * (SIGINT, SIGTERM, SIGHUP) stops it unfinished: state `interrupted`, not dirty.
 */
export async function rollbackStage(
  ctx: RunContext,
  stage: Stage,
  target: RollbackTarget,
  opts: RollbackStageOptions,
): Promise<RollbackOutcome> {
  const { completed, records, undone } = target;
  await record(ctx, EventName.RollbackStarted, {
    stage: stage.id,
    completed,
    emergency: opts.emergency,
    reason: opts.reason,
    to: opts.to,
    undone,
  });
  // Saved, like a stage's start: a journal cut back to before this rollback is noticed, not undone again.
  await ctx.journal.milestone?.().catch(() => {});
  // The stage as a whole is reported too, so a display can say it was undone even when it had nothing to undo.
  const whole = `rollback:${stage.id}`;
  ctx.reporter.task(whole, `rollback stage ${stage.id}`, TaskState.Running);
  const failures: string[] = [];
  for (const { source, action, title, with: extra } of rollbackActions(stage, completed, records, undone)) {
    const id = `rollback:${stage.id}:${source}`;
    if (ctx.signal.aborted) throw stopped(ctx, stage, null, opts.emergency);
    if (opts.emergency && actionOf(action).kind === 'pause') {
      // An emergency waits for nothing: not for time, not for people.
      await record(ctx, EventName.RollbackStep, {
        stage: stage.id,
        source,
        ok: true,
        skipped: 'emergency: waits are skipped',
      });
      ctx.reporter.task(id, title, TaskState.Skipped, 'emergency: no waits');
      continue;
    }
    await record(ctx, EventName.RollbackStepStarted, { stage: stage.id, source, title });
    ctx.reporter.task(id, title, TaskState.Running);
    let r;
    try {
      r = await runAction(journalingGroups(ctx, { stage: stage.id, source }), action, {
        id,
        timeoutMs: null,
        stage: stage.id,
        vars: extra ? ctx.vars.with(extra) : undefined,
      });
    } catch (e) {
      if (e instanceof InterruptedError || ctx.signal.aborted) {
        ctx.reporter.task(id, title, TaskState.Failed, 'interrupted');
        throw stopped(ctx, stage, title, opts.emergency);
      }
      r = { ok: false, message: (e as Error).message, tail: '' };
    }
    // Stopped by an interrupt: no outcome is known, so none is journaled (the next rollback runs it again).
    if (!r.ok && ctx.signal.aborted) {
      ctx.reporter.task(id, title, TaskState.Failed, 'interrupted');
      throw stopped(ctx, stage, title, opts.emergency);
    }
    await record(ctx, EventName.RollbackStep, { stage: stage.id, source, ok: r.ok, message: r.message, tail: r.tail });
    ctx.reporter.task(id, title, r.ok ? TaskState.Succeeded : TaskState.Failed, r.ok ? undefined : r.message);
    if (!r.ok) {
      failures.push(`${title}: ${r.message}`);
      if (!opts.emergency) break;
    }
  }
  if (failures.length) await record(ctx, EventName.RollbackFailed, { stage: stage.id, reason: failures.join('; ') });
  else await record(ctx, EventName.RollbackCompleted, { stage: stage.id });
  await ctx.journal.milestone?.().catch(() => {});
  ctx.reporter.task(
    whole,
    `rollback stage ${stage.id}`,
    failures.length ? TaskState.Failed : TaskState.Succeeded,
    failures.length ? `${failures.length} step(s) failed` : 'rolled back',
  );
  return { ok: failures.length === 0, failures };
}
