/** Global options turned into what commands need: the runbook, validated, and its vars. */
import { dirname, resolve } from 'node:path';
import { InvalidRunbookError, UsageError } from '../errors.js';
import { discoverRunbook } from '../runbook/discover.js';
import { resolveRunbook, validateFile, type ValidRunbook } from '../runbook/validate.js';
import { parseSetOptions, resolveVars, type Vars } from '../runbook/vars.js';

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
  /** Where run steps, command checks and relative paths resolve: the runbook's directory. */
  cwd: string;
  shell: string;
}

/** Load, validate and resolve vars; an invalid runbook throws with every diagnostic. */
export async function loadRunbook(opts: GlobalOptions, builtins: Record<string, string> = {}): Promise<LoadedRunbook> {
  const file = discoverRunbook(opts.runbook, process.env, process.cwd());
  const result = await validateFile(file);
  if (!result.ok) throw new InvalidRunbookError(result.errors);
  const vars = resolveVars(result.value.runbook, { env: process.env, environment: opts.env, set: parseSetOptions(opts.set), builtins: { runbook: result.value.runbook.name, ...builtins } });
  // Durations may come from vars (drills): the commands see them resolved.
  const runbook = resolveRunbook(result.value, vars);
  return { ...result.value, runbook, vars, cwd: dirname(resolve(file)), shell: result.value.runbook.defaults?.shell ?? 'bash' };
}

export function parseStageNumber(text: string, what = 'stage'): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a stage number, got '${text}'`);
  return Number(text);
}
