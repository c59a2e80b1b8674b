/**
 * A probe is how a check reads the world (SPEC 2.2). Each kind is one module
 * registered in ./index.ts; the engine never asks "which field is present".
 */
import type { Value } from '../expr/evaluate.js';
import type { Vars } from '../runbook/vars.js';
import type { ProcessRunner } from '../engine/runner.js';

export interface ProbeContext {
  vars: Vars;
  runner: ProcessRunner;
  cwd: string;
  shell: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** What one probe call read. */
export interface Reading {
  /** What `value` is in the expectation. */
  value: unknown;
  /** The other names the probe defines (status, rows, exit_code). */
  scope: Record<string, Value>;
  /** Whether `value` carries data (no rows, an empty body, null and NaN do not). */
  hasData: boolean;
  /** The verdict when the check has no `expect`, and the value it is judged on (exit code, status). */
  plain: { passed: boolean; message: string; value: unknown };
  /** More numbers the message must show beside `value` (a compared query, a baseline). */
  detail?: string;
  /**
   * The probe answered but reported a failure (a command's non-zero exit):
   * an error sample, unless the expectation reads one of the always-data names.
   */
  failure?: string;
}

/** One probe kind; `P` is its tagged spec (`{ kind: 'sql', sql, database }`). */
export interface ProbeModule<P extends { kind: string }> {
  kind: P['kind'];
  /** The names its `expect` may read besides vars and `baseline`; `always` are data whenever the probe answered. */
  reads: { names: readonly string[]; always: readonly string[] };
  /**
   * The fields of its spec (the object under the check's `<kind>:` key) that
   * are durations: they may be `${var}` and are checked after interpolation
   * (src/runbook/durations.ts reads this list, nothing else names them).
   */
  durations?: readonly string[];
  /** For plan, journal and messages: built from the template with printable values, never from what ran. */
  describe(probe: P, show: (name: string) => string): string;
  sample(probe: P, ctx: ProbeContext): Promise<Reading>;
}

/** No rows, an empty body, null or NaN. */
export function isNoData(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    (typeof v === 'number' && Number.isNaN(v)) ||
    (Array.isArray(v) && v.length === 0)
  );
}
