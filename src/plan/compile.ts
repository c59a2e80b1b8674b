/**
 * compile: (runbook, stage, vars) -> TaskGraph. Pure: no I/O, no clock, so
 * its output is snapshot-tested and `plan` shows exactly what `stage` runs.
 */
import { UsageError } from '../errors.js';
import { parseDuration } from '../runbook/duration.js';
import { referencedNames, renderText } from '../runbook/template.js';
import {
  asAction,
  RISKS,
  stepId,
  type Action,
  type Check,
  type Risk,
  type Runbook,
  type Stage,
  type WindowSpec,
} from '../runbook/types.js';
import { formatPath } from '../runbook/diagnostics.js';
import { resolveDurations } from '../runbook/durations.js';
import { stepLevels, stepNeeds } from '../runbook/order.js';
import { strings } from '../runbook/walk.js';
import type { Vars } from '../runbook/vars.js';
import { moduleOf, probeOf } from '../probes/index.js';
import { actionOf, describeAct } from '../actions/index.js';
import type { ActionNode, CheckNode, GraphNode, RollbackEntry, TaskGraph } from './graph.js';
import { rollbackPreview } from './rollback.js';
import type { VolatilityLookup } from '../pg/lint.js';

export interface CompileOptions {
  /** Findings that raise the effective risk (the SQL lint), as "reason" -> risk. */
  riskRaisers?: { risk: Risk; reason: string }[];
}

const ms = (d: string | undefined) => (d === undefined ? null : parseDuration(d)!);

/** Default sampling: a tenth of the window, at most 30s. */
export function defaultInterval(windowMs: number): number {
  return Math.max(1, Math.min(30_000, Math.round(windowMs / 10)));
}

export function findStage(rb: Runbook, id: number): Stage {
  const stage = rb.stages.find((s) => s.id === id);
  if (!stage) throw new UsageError(`no stage ${id}: this runbook has stages 1..${rb.stages.length}`);
  return stage;
}

export function describeAction(a: Action, vars: Vars): ActionNode {
  const act = actionOf(a);
  return { kind: act.kind, display: describeAct(act, (name) => vars.display(name)) };
}

export function describeCheck(c: Check, vars: Vars, guard: boolean): CheckNode {
  const show = (name: string) => vars.display(name);
  const probe = probeOf(c);
  return {
    name: renderText(c.name, show),
    probe: probe.kind,
    display: moduleOf(probe).describe(probe, show),
    expect: c.expect ?? null,
    baseline: Boolean(c.baseline),
    guard,
  };
}

function windowLimits(w: WindowSpec) {
  return {
    tolerate: w.tolerate ?? 0,
    error_limit: w.error_limit ?? 4,
    on_breach: w.on_breach ?? 'rollback',
    on_no_data: w.on_no_data ?? 'inconclusive',
  };
}

export function compileStage(written: Runbook, stageNumber: number, vars: Vars, opts: CompileOptions = {}): TaskGraph {
  // Durations may come from vars: compile what these vars make of them (a no-op when the caller resolved them).
  const { runbook: rb, findings } = resolveDurations(written, vars);
  const [bad] = findings;
  if (bad) throw new UsageError(`${formatPath(bad.path)}: ${bad.message}`);
  const stage = findStage(rb, stageNumber);
  const show = (name: string) => vars.display(name);
  const guards = (rb.guards ?? []).map((g) => describeCheck(g, vars, true));
  const nodes: GraphNode[] = [];
  const edges: { from: string; to: string }[] = [];
  let frontier: string[] = [];
  const connect = (roots: string[], sinks: string[]) => {
    for (const from of frontier) for (const to of roots) edges.push({ from, to });
    frontier = sinks;
  };

  const declared = stage.risk ?? 'low';
  const raisers = opts.riskRaisers ?? [];
  const effective = [declared, ...raisers.map((r) => r.risk)].reduce((a, b) =>
    RISKS.indexOf(b) > RISKS.indexOf(a) ? b : a,
  );
  const reasons = [
    ...new Set(
      raisers.filter((r) => RISKS.indexOf(r.risk) > RISKS.indexOf(declared)).map((r) => `${r.reason} (${r.risk})`),
    ),
  ];

  if (stage.preflight?.length) {
    nodes.push({
      id: 'preflight',
      type: 'preflight',
      label: `preflight (${stage.preflight.length} check${stage.preflight.length > 1 ? 's' : ''})`,
      checks: stage.preflight.map((c) => describeCheck(c, vars, false)),
    });
    connect(['preflight'], ['preflight']);
  }

  const typed = effective === 'critical' || (typeof stage.confirm === 'object' && stage.confirm.type === 'stage-name');
  if (stage.confirm !== undefined || effective === 'high' || effective === 'critical') {
    const message =
      stage.confirm === undefined
        ? `Run stage ${stage.id} (${stage.name}), risk ${effective}?`
        : renderText(typeof stage.confirm === 'string' ? stage.confirm : stage.confirm.message, show);
    nodes.push({
      id: 'gate',
      type: 'gate',
      label: message,
      gate: typed ? 'stage-name' : 'confirm',
      implied: stage.confirm === undefined,
    });
    connect(['gate'], ['gate']);
  }

  // The engine's own rollback list, as if every step completed: a step's undo is shown as it would run.
  const preview = rollbackPreview(stage).map((r) => ({
    kind: r.kind,
    entry: {
      source: r.kind === 'stage' ? 'stage' : r.source,
      label: renderText(r.title, show),
      action: r.pending
        ? { kind: 'flag' as const, display: r.pending }
        : describeAction(r.action, r.with ? vars.with(r.with) : vars),
    },
  }));
  const rollback: RollbackEntry[] = preview.map((r) => r.entry);
  const undos = new Map(preview.filter((r) => r.kind === 'undo').map((r) => [r.entry.source, r.entry.action]));
  const steps = stage.steps ?? [];
  if (steps.length) {
    const depth = stepLevels(steps);
    const ids = steps.map(stepId);
    const needs = stepNeeds(steps);
    const needed = new Set(needs.flat());
    for (const [i, s] of steps.entries()) {
      const id = stepId(s, i);
      const need = needs[i] ?? []; // one entry per step
      nodes.push({
        id: `step:${id}`,
        type: 'step',
        label: s.name ? renderText(s.name, show) : id,
        step: id,
        index: i,
        action: describeAction(s, vars),
        needs: need,
        level: depth.get(id)!,
        when: s.when ?? null,
        timeout_ms: ms(s.timeout ?? rb.defaults?.timeout),
        retries: s.retries ?? 0,
        retry_delay_ms: ms(s.retry_delay) ?? 1000,
        continue_on_error: s.continue_on_error ?? false,
        undo: undos.get(id) ?? null,
      });
      for (const n of need) edges.push({ from: `step:${n}`, to: `step:${id}` });
    }
    const roots = ids.filter((_, i) => needs[i]?.length === 0).map((id) => `step:${id}`);
    const sinks = ids.filter((id) => !needed.has(id)).map((id) => `step:${id}`);
    connect(roots, sinks);
  }

  let watch = 0;
  if (stage.monitor) {
    const m = stage.monitor;
    const duration = ms(m.duration)!;
    watch += duration;
    nodes.push({
      id: 'monitor',
      type: 'monitor',
      label: `monitor ${m.duration}`,
      duration_ms: duration,
      interval_ms: ms(m.interval) ?? defaultInterval(duration),
      checks: [...(m.checks ?? []).map((c) => describeCheck(c, vars, false)), ...guards],
      ...windowLimits(m),
    });
    connect(['monitor'], ['monitor']);
  }

  if (stage.canary) {
    const c = stage.canary;
    const set = asAction(c.set);
    for (const w of c.weights) {
      const weight = typeof w === 'number' ? w : w.weight;
      const hold = (typeof w === 'number' ? undefined : w.hold) ?? c.hold!;
      const holdMs = hold === 'manual' ? ('manual' as const) : ms(hold)!;
      if (holdMs !== 'manual') watch += holdMs;
      const id = `canary:${weight}`;
      nodes.push({
        id,
        type: 'canary',
        label: `${weight}% for ${hold}`,
        weight,
        hold_ms: holdMs,
        interval_ms: ms(c.interval) ?? defaultInterval(holdMs === 'manual' ? 300_000 : holdMs),
        set: describeAction(set, vars.with({ weight: String(weight) })),
        checks: [...(c.checks ?? []).map((x) => describeCheck(x, vars, false)), ...guards],
        ...windowLimits(c),
      });
      connect([id], [id]);
    }
  }

  if (stage.verify?.length) {
    nodes.push({
      id: 'verify',
      type: 'verify',
      label: `verify (${stage.verify.length} check${stage.verify.length > 1 ? 's' : ''})`,
      checks: stage.verify.map((c) => describeCheck(c, vars, false)),
    });
    connect(['verify'], ['verify']);
  }

  const stepNodes = nodes.filter((n) => n.type === 'step');

  const levels: string[][] = [];
  for (const n of stepNodes) (levels[n.level] ??= []).push(n.step);
  const used = new Set<string>();
  for (const { text } of strings({ ...stage, guards: rb.guards }, []))
    for (const r of referencedNames(text)) used.add(r.name);

  return {
    runbook: rb.name,
    stage: { id: stage.id, name: stage.name, description: stage.description ?? null },
    risk: { declared, effective, reasons },
    nodes,
    edges,
    levels,
    rollback,
    irreversible: stage.irreversible ?? false,
    watch_ms: watch,
    unset_vars: vars.unset.filter((v) => used.has(v)),
  };
}

/** compileStage with the SQL lint's risk findings: the lint (and its parser) loads only for stages with SQL. */
export async function compileStageLinted(
  rb: Runbook,
  stageNumber: number,
  vars: Vars,
  volatility?: VolatilityLookup,
): Promise<TaskGraph> {
  const stage = findStage(rb, stageNumber);
  const hasSql = (stage.steps ?? []).some((s) => s.sql !== undefined);
  const riskRaisers = hasSql
    ? await (await import('../pg/lint.js')).sqlRiskRaisers(rb, stageNumber, { volatility })
    : [];
  return compileStage(rb, stageNumber, vars, { riskRaisers });
}
