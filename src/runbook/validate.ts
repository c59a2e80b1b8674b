/**
 * load -> structure (schema) -> semantic rules. Returns the typed runbook, or
 * every located diagnostic (schema errors and the rules' findings together,
 * see prune.ts); never throws for bad input.
 */
import { thousands, warning, type Diagnostic, type Finding, type Path } from './diagnostics.js';
import { loadRunbookFile, loadRunbookSource, locate, type LoadedFile } from './load.js';
import { checkStructure } from './structure.js';
import { pruneMalformed } from './prune.js';
import { rules } from './rules/index.js';
import type { Runbook } from './types.js';
import type { Vars } from './vars.js';
import { resolveDurations } from './durations.js';
import { intervalsShorter } from './rules/windows.js';
import { InvalidRunbookError } from '../errors.js';
import { actions } from './walk.js';
import type { VolatilityLookup } from '../pg/lint.js';
import { preloadSqlParser } from '../pg/parse.js';

function hasSqlText(rb: Runbook): boolean {
  for (const { value } of actions(rb))
    if (value.sql !== undefined || (value as { undo_sql?: string }).undo_sql !== undefined) return true;
  return false;
}

/**
 * Text that mentions SQL starts PostgreSQL's parser loading before the YAML
 * is parsed: its WebAssembly compiles on another thread meanwhile. Only a
 * hint (a wrong guess costs a load, as any SQL would); the lint decides.
 */
function warmSqlParser(source: string, opts: ValidateOptions): void {
  if (opts.sqlLint !== false && /\bsql\s*:/.test(source)) preloadSqlParser();
}

export interface ValidateOptions {
  /** false: skip the SQL lint (an emergency rollback: its WebAssembly parser costs a second on a loaded machine, and the SQL was linted when its stage ran). */
  sqlLint?: boolean;
  /** Warnings become errors (`validate --strict`). */
  strict?: boolean;
  /** Extra rules that need more than the runbook's data (the SQL lint, later). */
  extraRules?: ((rb: Runbook) => Finding[] | Promise<Finding[]>)[];
  /** Where the SQL lint may ask a database how volatile a default's functions are (runs after extraRules). */
  volatility?: VolatilityLookup;
}

export interface ValidRunbook {
  runbook: Runbook;
  file: string;
  digest: string;
  warnings: Diagnostic[];
  /** Locate findings about this runbook found later (durations from the real vars). */
  locate(findings: Finding[]): Diagnostic[];
  /** file:line:col of the value at a path (a step, for a run-time message). */
  where(path: Path): string;
}

export type Validation =
  { ok: true; value: ValidRunbook } | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

const order = (a: Diagnostic, b: Diagnostic) => a.line - b.line || a.column - b.column;

function split(diags: Diagnostic[], strict: boolean): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  if (strict) diags = diags.map((d) => ({ ...d, severity: 'error' }));
  return {
    errors: diags.filter((d) => d.severity === 'error').sort(order),
    warnings: diags.filter((d) => d.severity === 'warning').sort(order),
  };
}

/** Findings reported per value: the first few say what is wrong, and locating each one reads its value again. */
const PER_VALUE = 10;
const MAX_FINDINGS = 200;

/** The first PER_VALUE findings of each value (errors first), at most MAX_FINDINGS, and one saying how many more there are. */
export function capFindings(findings: Finding[]): Finding[] {
  if (findings.length <= PER_VALUE) return findings;
  const byValue = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.path.join('\u0000');
    (byValue.get(key) ?? byValue.set(key, []).get(key)!).push(f);
  }
  const kept: Finding[] = [];
  let worst: { path: Path; dropped: number } | null = null;
  for (const group of byValue.values()) {
    const ordered = [...group.filter((f) => f.severity === 'error'), ...group.filter((f) => f.severity !== 'error')];
    kept.push(...ordered.slice(0, PER_VALUE));
    const dropped = ordered.length - PER_VALUE;
    if (dropped > 0 && dropped > (worst?.dropped ?? 0)) worst = { path: group[0]!.path, dropped };
  }
  const shown = [...kept.filter((f) => f.severity === 'error'), ...kept.filter((f) => f.severity !== 'error')].slice(
    0,
    MAX_FINDINGS,
  );
  const more = findings.length - shown.length;
  if (more === 0) return shown;
  const kept2 = new Set(shown);
  const firstLeftOut = findings.find((f) => !kept2.has(f))!;
  const message = `${thousands(more)} more findings not shown (at most ${PER_VALUE} per value, ${MAX_FINDINGS} in all): fix these first`;
  return [...shown, warning(worst?.path ?? firstLeftOut.path, 'too-many-findings', message)];
}

export async function validateLoaded(loaded: LoadedFile, opts: ValidateOptions = {}): Promise<Validation> {
  const located = (fs: Finding[]) => fs.map((f) => locate(loaded, f));
  const yamlWarnings = loaded.warnings;
  const structural = checkStructure(loaded.value);
  // Schema errors do not hide the rest: the rules read the runbook without its malformed parts.
  const pruned = structural.length ? pruneMalformed(loaded.value, structural) : null;
  if (structural.length && !pruned) return { ok: false, ...split([...yamlWarnings, ...located(structural)], false) };
  const runbook = pruned ? pruned.runbook : (loaded.value as Runbook);
  const findings: Finding[] = [];
  // On a pruned runbook a rule that still trips over what is left reports nothing: the schema errors are reported anyway.
  const run = async (rule: (rb: Runbook) => Finding[] | Promise<Finding[]>) => {
    try {
      findings.push(...(await rule(runbook)));
    } catch (e) {
      if (!pruned) throw e;
    }
  };
  for (const rule of Object.values(rules)) await run(rule);
  for (const rule of opts.extraRules ?? []) await run(rule);
  // The SQL lint needs PostgreSQL's parser (WebAssembly): load it only when there is SQL.
  // A runbook already invalid asks no database.
  if (opts.sqlLint !== false && hasSqlText(runbook))
    findings.push(
      ...(await (
        await import('../pg/lint.js')
      ).sqlLintRule(runbook, { strict: opts.strict, volatility: pruned ? undefined : opts.volatility })),
    );
  const mapped = pruned ? findings.flatMap((f) => pruned.original(f) ?? []) : findings;
  const { errors, warnings } = split(
    [...yamlWarnings, ...located(capFindings([...structural, ...mapped]))],
    opts.strict ?? false,
  );
  if (pruned) return { ok: false, errors, warnings };
  if (errors.length) return { ok: false, errors, warnings };
  const where = (path: Path) => {
    const { file, line, column } = locate(loaded, { path, severity: 'error', code: '', message: '' });
    return `${file}:${line}:${column}`;
  };
  return { ok: true, value: { runbook, file: loaded.file, digest: loaded.digest, warnings, locate: located, where } };
}

export async function validateFile(file: string, opts: ValidateOptions = {}): Promise<Validation> {
  const result = loadRunbookFile(file, (source) => warmSqlParser(source, opts));
  if (!result.ok) return { ok: false, ...split(result.diagnostics, opts.strict ?? false) };
  return validateLoaded(result.loaded, opts);
}

export async function validateSource(file: string, source: string, opts: ValidateOptions = {}): Promise<Validation> {
  warmSqlParser(source, opts);
  const result = loadRunbookSource(file, source);
  if (!result.ok) return { ok: false, ...split(result.diagnostics, opts.strict ?? false) };
  return validateLoaded(result.loaded, opts);
}

/**
 * The runbook as a command runs it, with durations from the resolved vars
 * (`--env`, `--set`, the environment). A value that is not a duration is a
 * located error, like any other invalid runbook.
 */
export function resolveRunbook(valid: ValidRunbook, vars: Vars): Runbook {
  const { runbook, findings } = resolveDurations(valid.runbook, vars);
  const all = findings.length ? findings : intervalsShorter(runbook);
  if (all.length) throw new InvalidRunbookError(valid.locate(all));
  return runbook;
}
