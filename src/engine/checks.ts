/**
 * Sampling a check (SPEC 2.2): the probe reads (through the registry in
 * src/probes), the expectation judges, and every sample is passed, failed,
 * inconclusive or error.
 */
import { evaluate, type Value } from '../expr/evaluate.js';
import { namesIn, parseExpr } from '../expr/parse.js';
import { parseDuration } from '../runbook/duration.js';
import { moduleOf, probeOf } from '../probes/index.js';
import { errorText } from './http.js';
import { explainFailure, show } from './explain.js';
import type { Check, OnNoData } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import type { ProcessRunner, Sample } from './types.js';
import { ExprEvalError, ProbeError } from '../errors.js';

export { parseOutput } from '../probes/command.js';
export { jsonPath } from '../probes/http.js';

export interface CheckContext {
  vars: Vars;
  runner: ProcessRunner;
  cwd: string;
  shell: string;
  signal?: AbortSignal;
}

export interface SampleOptions {
  /** The check's baseline (taken before the stage changed anything), when it has one. */
  baseline?: unknown;
  /** The window's `on_no_data`; the check's own overrides it. */
  onNoData?: OnNoData;
}

const DEFAULT_TIMEOUT = 30_000;

export async function sampleCheck(check: Check, ctx: CheckContext, opts: SampleOptions = {}): Promise<Sample> {
  const { vars } = ctx;
  const probe = probeOf(check);
  const mod = moduleOf(probe);
  const name = vars.mask(check.name);
  const base = { check: name, probe: mod.describe(probe, (n) => vars.display(n)), expect: check.expect ?? null };
  const timeoutMs = check.timeout ? parseDuration(check.timeout)! : DEFAULT_TIMEOUT;
  const error = (message: string, value: unknown = null): Sample => ({
    ...base,
    value,
    result: 'error',
    message: `${name}: ${vars.mask(message)}`,
  });

  let reading;
  try {
    reading = await mod.sample(probe, { ...ctx, timeoutMs });
  } catch (e) {
    return error(e instanceof ProbeError ? e.message : errorText(e));
  }
  const { value } = reading;
  if (check.expect === undefined) {
    const { passed, message } = reading.plain;
    return {
      ...base,
      value: reading.plain.value,
      result: passed ? 'passed' : 'failed',
      message: `${name}: ${vars.mask(message)}`,
    };
  }

  // No data depends on what the expectation reads: status, rows and exit_code are data whenever the probe answered.
  const ast = parseExpr(check.expect);
  const read = new Set(namesIn(ast).map((n) => n.name));
  const alwaysData = mod.reads.always.some((n) => read.has(n));
  if (reading.failure !== undefined && !alwaysData) return error(reading.failure, value);
  if (!reading.hasData && !alwaysData) {
    const policy = check.on_no_data ?? opts.onNoData ?? 'inconclusive';
    const result = policy === 'fail' ? 'failed' : policy === 'pass' ? 'passed' : 'inconclusive';
    return { ...base, value: value ?? null, result, message: `${name}: no data` };
  }

  const scope: Record<string, Value> = { ...vars.scope(), ...reading.scope, value: value as Value };
  if (check.baseline) {
    // A probe may measure its own baseline (prometheus query_offset); else the one taken before the stage.
    const baseline = 'baseline' in reading.scope ? reading.scope.baseline : opts.baseline;
    if (baseline === undefined || baseline === null)
      return error('no baseline: its sample before the stage had no data', value);
    scope.baseline = baseline as Value;
  }
  const detail = reading.detail ? `; ${reading.detail}` : '';
  try {
    const ok = Boolean(evaluate(ast, scope));
    const why = ok
      ? `${show(value)} (${check.expect}${detail})`
      : `${explainFailure(ast, scope)}${detail ? ` (${reading.detail})` : ''}`;
    return { ...base, value, result: ok ? 'passed' : 'failed', message: `${name}: ${vars.mask(why)}` };
  } catch (e) {
    if (e instanceof ExprEvalError) return error(e.message, value);
    throw e;
  }
}
