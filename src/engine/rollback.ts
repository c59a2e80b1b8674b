/**
 * Rolling a stage back: the undo of every completed step in reverse
 * completion order, then the stage's rollback steps (SPEC 3). An emergency
 * rollback goes on past failures and records each.
 */
import { EventName } from '../journal/events.js';
import { rollbackActions } from '../plan/rollback.js';
import type { Stage } from '../runbook/types.js';
import { runAction } from './actions.js';
import { record, type RunContext } from './context.js';
import { TaskState } from './types.js';

export interface RollbackOutcome { ok: boolean; failures: string[] }

export async function rollbackStage(ctx: RunContext, stage: Stage, target: { completed: string[]; records: Record<string, unknown> }, opts: { emergency: boolean; reason: string }): Promise<RollbackOutcome> {
  const { completed, records } = target;
  await record(ctx, EventName.RollbackStarted, { stage: stage.id, completed, emergency: opts.emergency, reason: opts.reason });
  // The stage as a whole is reported too, so a display can say it was undone even when it had nothing to undo.
  const whole = `rollback:${stage.id}`;
  ctx.reporter.task(whole, `rollback stage ${stage.id}`, TaskState.Running);
  const failures: string[] = [];
  for (const { source, action, title, with: extra } of rollbackActions(stage, completed, records)) {
    const id = `rollback:${stage.id}:${source}`;
    if (opts.emergency && action.pause !== undefined) {
      // An emergency waits for nothing: not for time, not for people.
      await record(ctx, EventName.RollbackStep, { stage: stage.id, source, ok: true, skipped: 'emergency: waits are skipped' });
      ctx.reporter.task(id, title, TaskState.Skipped, 'emergency: no waits');
      continue;
    }
    ctx.reporter.task(id, title, TaskState.Running);
    let r;
    try {
      r = await runAction(ctx, action, { id, timeoutMs: null, stage: stage.id, vars: extra ? ctx.vars.with(extra) : undefined });
    } catch (e) {
      r = { ok: false, message: (e as Error).message, tail: '' };
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
  ctx.reporter.task(whole, `rollback stage ${stage.id}`, failures.length ? TaskState.Failed : TaskState.Succeeded, failures.length ? `${failures.length} step(s) failed` : 'rolled back');
  return { ok: failures.length === 0, failures };
}
