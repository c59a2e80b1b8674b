/** Global options turned into what commands need: the runbook, validated, and its vars. */
import { InvalidRunbookError, UsageError } from '../errors.js';
import { discoverRunbook, runbookDir } from '../runbook/discover.js';
import { resolveRunbook, validateFile, type ValidRunbook } from '../runbook/validate.js';
import { resolveDurations } from '../runbook/durations.js';
import type { Finding } from '../runbook/diagnostics.js';
import type { Runbook } from '../runbook/types.js';
import { checkValues } from '../runbook/values.js';
import { quote } from '../runbook/diagnostics.js';
import { parseSetOptions, resolveVars, type Vars } from '../runbook/vars.js';
import { databaseUrl } from '../pg/connect.js';
import type { VolatilityLookup } from '../pg/lint.js';

export interface GlobalOptions {
  runbook?: string;
  env?: string;
  set: string[];
  stateDir?: string;
  journal?: string;
  json?: boolean;
  yes?: boolean;
  /** Stage names confirmed ahead of time: they answer typed-name (critical) gates, which --yes does not. */
  confirmStage?: string[];
  color: boolean;
  verbose?: boolean;
}

export interface LoadedRunbook extends ValidRunbook {
  vars: Vars;
  /** With `database` asked for: the lint's way to the steps' databases (pg_proc), for compiling stages too. */
  volatility?: VolatilityLookup;
  /** Where run steps, command checks and relative paths resolve: the runbook's directory. */
  cwd: string;
  shell: string;
}

/**
 * Load, validate and resolve vars; an invalid runbook throws with every diagnostic.
 * With `database`, the SQL lint asks the steps' databases how volatile the
 * functions in column defaults are (connecting only when a default calls one
 * it cannot judge alone); a database it cannot reach leaves the offline rule.
 */
export async function loadRunbook(
  opts: GlobalOptions,
  builtins: Record<string, string> = {},
  how: LoadHow = {},
): Promise<LoadedRunbook> {
  const file = discoverRunbook(opts.runbook, process.env, process.cwd());
  const set = parseSetOptions(opts.set);
  // The values are checked with the runbook (pattern, leading '-', URL paths), so a bad input is located like a bad runbook.
  let vars: Vars | undefined;
  let valueFindings: Finding[] = [];
  const withValues = (rb: Runbook) => {
    const found = checkValues(
      rb,
      (vars = resolveVars(rb, {
        env: process.env,
        environment: opts.env,
        set,
        builtins: { runbook: rb.name, ...builtins },
      })),
    );
    if (!how.lenientValues) return found;
    valueFindings = found;
    return [];
  };
  // The vars are resolved by the extra rule, which runs before the SQL lint asks anything.
  const volatility = how.database
    ? (await import('../pg/volatility.js')).volatilityLookup((database) => databaseUrl(database, vars!))
    : undefined;
  const result = await validateFile(file, { extraRules: [withValues], volatility, sqlLint: how.sqlLint });
  if (!result.ok) throw new InvalidRunbookError(result.errors);
  if (!vars) throw new UsageError('internal: vars were not resolved');
  for (const n of vars.notices) process.stderr.write(`warning: ${n}\n`);
  // Durations may come from vars (drills): the commands see them resolved.
  let runbook: Runbook;
  if (how.lenientValues) ({ runbook, vars } = lenient(result.value, vars, valueFindings));
  else runbook = resolveRunbook(result.value, vars);
  return {
    ...result.value,
    runbook,
    vars,
    volatility,
    cwd: runbookDir(file),
    shell: result.value.runbook.defaults?.shell ?? 'bash',
  };
}

export interface LoadHow {
  /** Ask the steps' databases while linting (see loadRunbook). */
  database?: boolean;
  /**
   * An emergency rollback: a bad value (a var's pattern, a duration, a leading
   * '-', a URL path) blocks only what uses it. Such a var is refused wherever it
   * is rendered (that undo fails and is recorded; the others run); a duration
   * from it stays unresolved (an emergency waits for nothing).
   */
  lenientValues?: boolean;
  /** false: no SQL lint (see ValidateOptions.sqlLint). */
  sqlLint?: boolean;
}

function lenient(valid: ValidRunbook, vars: Vars, findings: Finding[]): { runbook: Runbook; vars: Vars } {
  const { runbook, findings: durations } = resolveDurations(valid.runbook, vars);
  const refused = new Map<string, string>();
  for (const f of findings) {
    const [head, name] = f.path;
    if (head === 'vars' && typeof name === 'string' && (f.code === 'var-pattern' || f.code === 'var-nul'))
      refused.set(name, f.message);
  }
  for (const d of valid.locate([...findings, ...durations])) {
    process.stderr.write(
      `warning: ${d.file}:${d.line}:${d.column} ${d.code}: ${d.message}; the emergency goes on, and whatever needs this value is refused and recorded\n`,
    );
  }
  return { runbook, vars: refused.size ? vars.refusing(refused) : vars };
}

export function parseStageNumber(text: string | undefined, what = 'stage'): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new UsageError(`${what} must be a stage number, got '${quote(text ?? '')}'`);
  return Number(text);
}
