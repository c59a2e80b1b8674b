/** The runbook as it is after structural validation (see schema.ts). */

export type Risk = 'low' | 'medium' | 'high' | 'critical';
export const RISKS: Risk[] = ['low', 'medium', 'high', 'critical'];
export type OnBreach = 'rollback' | 'pause' | 'continue';
export type OnNoData = 'fail' | 'pass' | 'inconclusive';
export type Scalar = string | number | boolean;

export interface VarSpec {
  default?: Scalar;
  env?: string;
  secret?: boolean;
  description?: string;
  /** Anchored regular expression every value must match. */
  pattern?: string;
  /** A value may start with `-` where a command reads options. */
  allow_dash?: boolean;
  /** `integer`: every value is a whole number, so it may reach bash arithmetic. */
  type?: 'string' | 'integer';
}

export interface HttpSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
  json?: string;
  expect?: string;
  timeout?: string;
  /** Largest reply body read (`10MB`). */
  max_body?: string;
}

/** An instant query through the Prometheus HTTP API. */
export interface PrometheusSpec {
  url: string;
  query: string;
  /** A second query: `compare` in the expectation (a ratio's other side). */
  compare?: string;
  headers?: Record<string, string>;
  timeout?: string;
  /** Evaluate this long ago. */
  at?: string;
  /** How several series become one value; without it they are an error. */
  aggregate?: 'max' | 'min' | 'sum' | 'avg';
}

export interface Action {
  name?: string;
  run?: string | string[];
  sql?: string;
  database?: string;
  transaction?: boolean;
  lock_timeout?: string;
  statement_timeout?: string;
  http?: HttpSpec;
  pause?: string | { until: 'confirm'; message?: string };
  flag?: {
    name: string;
    value: Scalar | null;
    /** Set by rollback: put the flag back exactly as the journal recorded it. */ restore?: {
      exists: boolean;
      value?: Scalar | null;
    };
  };
  env?: Record<string, Scalar>;
  cwd?: string;
  timeout?: string;
}

export const ACTION_KEYS = ['run', 'sql', 'http', 'pause', 'flag'] as const;
export type ActionKind = (typeof ACTION_KEYS)[number];

export interface Step extends Action {
  id?: string;
  needs?: string[];
  when?: string;
  retries?: number;
  retry_delay?: string;
  continue_on_error?: boolean;
  undo?: string | Action;
  undo_sql?: string;
  allow?: string[];
}

export interface Check {
  name: string;
  command?: string;
  http?: HttpSpec;
  sql?: string;
  database?: string;
  prometheus?: PrometheusSpec;
  expect?: string;
  /**
   * `{ samples, every }`: the median of several samples, `every` apart (default 10s).
   * `{ query_offset }` (prometheus checks): the same query that long ago, at every sample.
   */
  baseline?: boolean | { samples: number; every?: string } | { query_offset: string };
  on_no_data?: OnNoData;
  timeout?: string;
}

export interface WindowSpec {
  interval?: string;
  checks?: Check[];
  tolerate?: number;
  error_limit?: number;
  on_breach?: OnBreach;
  on_no_data?: OnNoData;
}

export interface Monitor extends WindowSpec {
  duration: string;
}

export type Hold = string | 'manual';
export interface Canary extends WindowSpec {
  weights: (number | { weight: number; hold?: Hold })[];
  hold?: Hold;
  set: string | Step;
}

export interface Stage {
  id: number;
  name: string;
  description?: string;
  risk?: Risk;
  irreversible?: boolean;
  timeout?: string;
  preflight?: Check[];
  confirm?: string | { message: string; type?: 'confirm' | 'stage-name' };
  steps?: Step[];
  monitor?: Monitor;
  canary?: Canary;
  verify?: Check[];
  rollback?: (string | Action)[];
}

export type FlagStoreSpec =
  | { store: 'file'; path?: string }
  | { store: 'postgres'; table?: string; database?: string }
  | { store: 'command'; get: string; set: string; unset?: string; list?: string };

export interface Notify {
  on: string[];
  run?: string;
  webhook?: string;
}

export interface Runbook {
  version: 1;
  name: string;
  description?: string;
  owner?: string;
  vars?: Record<string, VarSpec>;
  environments?: Record<string, { vars?: Record<string, Scalar> }>;
  defaults?: { timeout?: string; shell?: string };
  flags?: FlagStoreSpec;
  /** The shared journal's URL (usually `${var}`); --journal overrides it. */
  journal?: string;
  guards?: Check[];
  notify?: Notify[];
  stages: Stage[];
}

/** A step's id: its own, or its 1-based position (`step-3`). */
export function stepId(step: Step, index: number): string {
  return step.id ?? `step-${index + 1}`;
}

/** Normalise `string | Action` (undo, rollback, canary set) to an action. */
export function asAction(a: string | Action): Action {
  return typeof a === 'string' ? { run: a } : a;
}

export function actionKind(a: Action): ActionKind | undefined {
  return ACTION_KEYS.find((k) => a[k] !== undefined);
}
