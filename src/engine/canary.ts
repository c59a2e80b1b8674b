/**
 * A canary stage (SPEC 2.7): for each weight, journal it, set it, then hold
 * while the checks and guards are sampled. A breach stops the walk (the
 * stage's rollback puts traffic back to 0). A manual hold waits for the
 * operator to promote; a timed one ends early when an operator promotes it
 * (`migrate promote`). Resume continues at the last weight the journal shows.
 */
import { DeclinedError, InterruptedError, PromotionDeclinedError, StepFailedError } from '../errors.js';
import { EventName } from '../journal/events.js';
import type { NodeOf } from '../plan/graph.js';
import type { CanaryRecord } from '../plan/rollback.js';
import { asAction, type Stage } from '../runbook/types.js';
import type { Baselines, Watched } from './baselines.js';
import { runAction } from '../actions/index.js';
import { record, waiting, type RunContext } from './context.js';
import { TaskState } from './types.js';
import { watchWindow } from './window.js';

/** `resumeAt`: the weight an interrupted run reached, and how much of its hold was left (null: all of it). */
export async function walkCanary(
  ctx: RunContext,
  stage: Stage,
  nodes: NodeOf<'canary'>[],
  checks: Watched[],
  baselines: Baselines,
  resumeAt: (CanaryRecord & { leftMs?: number | null }) | null,
): Promise<void> {
  let start = 0;
  if (resumeAt) {
    start = Math.max(
      0,
      nodes.findIndex((n) => n.weight === resumeAt.weight),
    );
    for (const n of nodes.slice(0, start))
      ctx.reporter.task(n.id, n.label, TaskState.Skipped, 'reached before (resume)');
  }
  let previous = resumeAt?.previous ?? 0;
  for (const [i, node] of nodes.entries()) {
    if (i < start) continue;
    if (ctx.signal.aborted) throw new InterruptedError('interrupted');
    const now = { weight: previous, setting: false };
    try {
      previous = await weight(ctx, {
        stage,
        nodes,
        i,
        previous,
        checks,
        baselines,
        resumeAt: i === start ? resumeAt : null,
        now,
      });
    } catch (e) {
      // Stopped from outside: the weight's line says so, with where traffic stands (the operator decides next).
      if (e instanceof InterruptedError)
        ctx.reporter.task(
          node.id,
          node.label,
          TaskState.Failed,
          // True whatever comes next (a rollback may move it): where it stood when it stopped.
          now.setting ? `stopped while setting ${node.weight}% (from ${now.weight}%)` : `stopped at ${now.weight}%`,
        );
      throw e;
    }
  }
}

interface Weight {
  stage: Stage;
  nodes: NodeOf<'canary'>[];
  /** The weight's index in nodes. */
  i: number;
  /** The weight set before it. */
  previous: number;
  checks: Watched[];
  baselines: Baselines;
  /** Where an interrupted run left this weight's hold, when it is the one resumed. */
  resumeAt: (CanaryRecord & { leftMs?: number | null }) | null;
  /** The weight set now, and whether a set to this node's weight is under way (what an interrupt reports). */
  now: { weight: number; setting: boolean };
}

/** One weight: journal it, set it, hold. Returns the weight now set. */
async function weight(ctx: RunContext, w: Weight): Promise<number> {
  const { stage, nodes, i, checks, baselines, resumeAt } = w;
  let { previous } = w;
  const canary = stage.canary!;
  const set = typeof canary.set === 'string' ? { run: canary.set } : canary.set;
  const node = nodes[i]!;
  const rec: CanaryRecord = { weight: node.weight, previous };
  await record(ctx, EventName.WeightSet, { stage: stage.id, key: 'canary', record: rec, weight: node.weight });
  ctx.reporter.task(node.id, node.label, TaskState.Running, `setting ${node.weight}%`);
  w.now.setting = true;
  const r = await runAction(ctx, asAction(set), {
    id: node.id,
    timeoutMs: null,
    stage: stage.id,
    vars: ctx.vars.with({ weight: String(node.weight) }),
  });
  if (!r.ok) {
    ctx.reporter.task(node.id, node.label, TaskState.Failed, r.message);
    throw new StepFailedError(
      `canary ${node.weight}%`,
      `setting the canary to ${node.weight}% failed: ${r.message}`,
      r.timedOut ?? false,
    );
  }
  previous = node.weight;
  w.now.weight = node.weight;
  w.now.setting = false;
  if (node.hold_ms === 'manual') {
    const next = nodes[i + 1];
    ctx.reporter.task(node.id, node.label, TaskState.Waiting, 'holding until the operator promotes');
    const question = next
      ? `Canary at ${node.weight}%: promote to ${next.weight}%?`
      : `Canary at ${node.weight}%: finish the rollout?`;
    let yes: boolean;
    try {
      yes = await waiting(ctx, () => ctx.prompter.confirm(question));
    } catch (e) {
      if (e instanceof DeclinedError)
        throw new PromotionDeclinedError(`${e.message}; the canary stays at ${node.weight}%`, e.hint);
      throw e;
    }
    if (!yes)
      throw new PromotionDeclinedError(
        `promotion declined: the canary stays at ${node.weight}%`,
        `run 'migrate stage ${stage.id} --resume' to promote later, or 'migrate rollback' to go back to 0%`,
      );
  } else {
    // A resumed hold continues for the time that was left, not the whole hold again.
    const durationMs = resumeAt?.leftMs != null ? Math.min(node.hold_ms, resumeAt.leftMs) : node.hold_ms;
    const hold = ctx.holds?.begin(stage.id, node.weight);
    let left: number | null;
    try {
      left = await watchWindow(
        ctx,
        {
          id: node.id,
          durationMs,
          intervalMs: node.interval_ms,
          checks,
          tolerate: node.tolerate,
          errorLimit: node.error_limit,
          onBreach: node.on_breach,
          onNoData: node.on_no_data,
          endEarly: hold?.signal,
        },
        baselines,
      );
    } finally {
      ctx.holds?.end();
    }
    const by = left === null ? null : hold?.promotion();
    if (by) {
      await record(ctx, EventName.CanaryPromoted, {
        stage: stage.id,
        weight: node.weight,
        promoted_by: by.operator,
        reason: by.reason,
        hold_left_ms: left,
        request_id: by.id ?? null,
      });
      ctx.reporter.task(node.id, node.label, TaskState.Succeeded, `promoted by ${by.operator}: ${by.reason}`);
      return previous;
    }
  }
  ctx.reporter.task(node.id, node.label, TaskState.Succeeded);
  return previous;
}
