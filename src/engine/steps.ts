/**
 * The step graph: each step starts as soon as its needs are done, so a
 * stage's wall time is its critical path, not the sum of its levels.
 */
import { DeclinedError, InterruptedError, StepDeclinedError, StepFailedError } from '../errors.js';
import { EventName } from '../journal/events.js';
import { evaluate, truthy } from '../expr/evaluate.js';
import { parseExpr } from '../expr/parse.js';
import type { NodeOf } from '../plan/graph.js';
import type { Step } from '../runbook/types.js';
import { runAction } from '../actions/index.js';
import { journalingGroups } from './groups.js';
import { record, sleep, type RunContext } from './context.js';
import { TaskState } from './types.js';

type StepNode = NodeOf<'step'>;

async function runStep(ctx: RunContext, node: StepNode, spec: Step, stage: number): Promise<void> {
  if (node.when !== null && !truthy(evaluate(parseExpr(node.when), ctx.vars.scope()))) {
    await record(ctx, EventName.StepSkipped, { stage, step: node.step, when: node.when });
    ctx.reporter.task(node.id, node.label, TaskState.Skipped, `when ${node.when} is false`);
    return;
  }
  await record(ctx, EventName.StepStarted, {
    stage,
    step: node.step,
    action: node.action.kind,
    display: node.action.display,
  });
  const started = ctx.clock.now();
  // Stopped from outside: the step's line says so (a line stream otherwise ends on '▶ step').
  const stopped = () => {
    ctx.reporter.task(node.id, node.label, TaskState.Failed, 'stopped');
    return new InterruptedError('interrupted');
  };
  for (let attempt = 0; ; attempt++) {
    ctx.reporter.task(
      node.id,
      node.label,
      TaskState.Running,
      attempt ? `attempt ${attempt + 1} of ${node.retries + 1}` : node.action.display,
    );
    let r;
    try {
      r = await runAction(journalingGroups(ctx, { stage, step: node.step }), spec, {
        id: node.id,
        timeoutMs: node.timeout_ms,
        stage,
        step: node.step,
      });
    } catch (e) {
      if (e instanceof InterruptedError) {
        stopped();
        throw e;
      }
      if (!(e instanceof DeclinedError)) throw e;
      // A person was needed here: journal the step's outcome, then let the stage roll back and exit 5.
      await record(ctx, EventName.StepFailed, {
        stage,
        step: node.step,
        attempts: attempt + 1,
        message: e.message,
        tail: '',
        declined: true,
      });
      ctx.reporter.task(node.id, node.label, TaskState.Failed, e.message);
      throw new StepDeclinedError(`step '${node.step}': ${e.message}`, e.hint);
    }
    // Stopped by an interrupt or the stage's deadline: no outcome is known, so none is journaled (the step stays in doubt).
    if (!r.ok && ctx.signal.aborted) throw stopped();
    if (r.ok) {
      await record(ctx, EventName.StepSucceeded, {
        stage,
        step: node.step,
        attempts: attempt + 1,
        duration_ms: ctx.clock.now() - started,
        tail: r.tail,
      });
      ctx.reporter.task(
        node.id,
        node.label,
        TaskState.Succeeded,
        `${((ctx.clock.now() - started) / 1000).toFixed(1)}s`,
      );
      return;
    }
    if (attempt < node.retries) {
      ctx.reporter.output(node.id, `${r.message}; retrying in ${node.retry_delay_ms}ms`);
      await sleep(ctx, node.retry_delay_ms);
      if (ctx.signal.aborted) throw stopped();
      continue;
    }
    await record(ctx, EventName.StepFailed, {
      stage,
      step: node.step,
      attempts: attempt + 1,
      message: r.message,
      tail: r.tail,
      continue_on_error: node.continue_on_error,
    });
    ctx.reporter.task(node.id, node.label, TaskState.Failed, r.message);
    if (node.continue_on_error) return;
    throw new StepFailedError(node.step, `step '${node.step}' failed: ${r.message}`, r.timedOut ?? false);
  }
}

/** Run the graph; a failure stops new starts, lets running steps finish, then throws. */
export async function runSteps(
  ctx: RunContext,
  nodes: StepNode[],
  specs: Step[],
  stage: number,
  skip: Set<string>,
): Promise<void> {
  for (const id of skip) {
    const n = nodes.find((x) => x.step === id);
    if (n) ctx.reporter.task(n.id, n.label, TaskState.Skipped, 'already done (resume)');
  }
  // Each step's unmet needs, counted down as steps finish: starting the next is O(its dependents), not a scan of the stage.
  const unmet = new Map<string, number>();
  const dependents = new Map<string, StepNode[]>();
  const ready: StepNode[] = [];
  for (const n of nodes) {
    if (skip.has(n.step)) continue;
    const needs = n.needs.filter((d) => !skip.has(d));
    unmet.set(n.step, needs.length);
    for (const d of needs) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n);
    if (needs.length === 0) ready.push(n);
  }
  let next = 0;
  let failure: unknown = null;
  const running = new Map<string, Promise<void>>();
  const finished = (step: string) => {
    for (const n of dependents.get(step) ?? []) {
      const left = unmet.get(n.step)! - 1;
      unmet.set(n.step, left);
      if (left === 0) ready.push(n);
    }
  };
  for (;;) {
    while (!failure && !ctx.signal.aborted && next < ready.length) {
      const n = ready[next++]!;
      const spec = specs[n.index];
      // The plan's nodes index the same stage's steps.
      if (!spec) throw new Error(`internal: step ${n.step} has no definition at index ${n.index}`);
      running.set(
        n.step,
        runStep(ctx, n, spec, stage)
          .then(
            () => finished(n.step),
            (e) => {
              failure ??= e;
            },
          )
          .finally(() => running.delete(n.step)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure;
  if (ctx.signal.aborted) throw new InterruptedError('interrupted');
}
