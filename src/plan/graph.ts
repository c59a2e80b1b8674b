/** The compiled form of a stage: plain data, printed by `plan --json` and run by the engine. */
import type { OnBreach, OnNoData, Risk } from '../runbook/types.js';
import type { ProbeKind } from '../probes/index.js';

export interface CheckNode {
  name: string;
  probe: ProbeKind;
  /** The probe as it would run, secrets masked. */
  display: string;
  expect: string | null;
  baseline: boolean;
  guard: boolean;
}

export interface ActionNode {
  kind: 'run' | 'sql' | 'http' | 'pause' | 'flag';
  display: string;
}

export type GraphNode =
  | { id: 'preflight'; type: 'preflight'; label: string; checks: CheckNode[] }
  | { id: 'gate'; type: 'gate'; label: string; gate: 'confirm' | 'stage-name'; implied: boolean }
  | {
      id: string;
      type: 'step';
      label: string;
      step: string;
      index: number;
      action: ActionNode;
      needs: string[];
      level: number;
      when: string | null;
      timeout_ms: number | null;
      retries: number;
      retry_delay_ms: number;
      continue_on_error: boolean;
      undo: ActionNode | null;
    }
  | {
      id: 'monitor';
      type: 'monitor';
      label: string;
      duration_ms: number;
      interval_ms: number;
      checks: CheckNode[];
      tolerate: number;
      error_limit: number;
      on_breach: OnBreach;
      on_no_data: OnNoData;
    }
  | {
      id: string;
      type: 'canary';
      label: string;
      weight: number;
      hold_ms: number | 'manual';
      interval_ms: number;
      set: ActionNode;
      checks: CheckNode[];
      tolerate: number;
      error_limit: number;
      on_breach: OnBreach;
      on_no_data: OnNoData;
    }
  | { id: 'verify'; type: 'verify'; label: string; checks: CheckNode[] };

export type NodeOf<T extends GraphNode['type']> = Extract<GraphNode, { type: T }>;

export interface RollbackEntry {
  /** What it reverses: a step id, 'canary' (weight back to 0), or 'stage'. */
  source: string;
  label: string;
  action: ActionNode;
}

export interface TaskGraph {
  runbook: string;
  stage: { id: number; name: string; description: string | null };
  risk: { declared: Risk; effective: Risk; reasons: string[] };
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
  /** Steps grouped by depth in the needs graph: each level may run in parallel. */
  levels: string[][];
  rollback: RollbackEntry[];
  irreversible: boolean;
  /** Time spent in monitor windows and canary holds (manual holds excluded). */
  watch_ms: number;
  /** Vars the stage uses that have no value yet. */
  unset_vars: string[];
}
