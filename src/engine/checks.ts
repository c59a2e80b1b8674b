/** Sampling a check (SPEC 2.2): every sample is passed, failed, inconclusive or error. */
import { evaluate, ExprEvalError, type Value } from '../expr/evaluate.js';
import { exprToString, namesIn, parseExpr, type Expr } from '../expr/parse.js';
import { parseDuration } from '../runbook/duration.js';
import { renderShell, renderUrl } from '../runbook/template.js';
import { errorText, request } from './http.js';
import type { Check } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import type { ProcessRunner, Sample } from './types.js';

export interface CheckContext {
  vars: Vars;
  runner: ProcessRunner;
  cwd: string;
  shell: string;
  signal?: AbortSignal;
  baselines?: Map<string, unknown>;
}

const DEFAULT_TIMEOUT = 30_000;

/** Trimmed stdout: a number when it parses as one, else JSON, else the string. */
export function parseOutput(text: string): unknown {
  const t = text.trim();
  if (t === '') return '';
  if (!Number.isNaN(Number(t))) return Number(t);
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

export function jsonPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const noData = (v: unknown) => v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v)) || (Array.isArray(v) && v.length === 0);
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** "error rate: 0.071 is not < 0.05", so a breach always says why. */
function explain(name: string, ast: Expr, value: unknown): string {
  if (ast.kind === 'binary' && ast.left.kind === 'name' && ast.left.name === 'value') {
    return `${name}: ${show(value)} is not ${ast.op} ${exprToString(ast.right)}`;
  }
  return `${name}: ${show(value)} does not satisfy ${exprToString(ast)}`;
}

export async function sampleCheck(check: Check, ctx: CheckContext): Promise<Sample> {
  const { vars } = ctx;
  const timeoutMs = check.timeout ? parseDuration(check.timeout)! : DEFAULT_TIMEOUT;
  const base = { check: vars.mask(check.name), expect: check.expect ?? null };
  const scope: Record<string, Value> = { ...vars.scope() };
  // An expectation about the exit code takes a failing exit (and no output) as data, not as an error.
  const usesExit = check.expect !== undefined && namesIn(parseExpr(check.expect)).some((n) => n.name === 'exit_code');
  let probe = '';
  try {
    if (check.command !== undefined) {
      const script = renderShell(check.command, (n) => vars.value(n));
      probe = vars.mask(script);
      const r = await ctx.runner.run({ shell: ctx.shell, script }, { cwd: ctx.cwd, timeoutMs, signal: ctx.signal, mask: (s) => vars.mask(s) });
      if (r.timedOut) return { ...base, probe, value: null, result: 'error', message: `${base.check}: timed out after ${timeoutMs}ms` };
      if (r.aborted) return { ...base, probe, value: null, result: 'error', message: `${base.check}: interrupted` };
      scope.value = parseOutput(r.stdout) as Value;
      scope.exit_code = r.exitCode;
      if (check.expect === undefined) {
        return { ...base, probe, value: r.exitCode, result: r.exitCode === 0 ? 'passed' : 'failed', message: r.exitCode === 0 ? `${base.check}: ok` : `${base.check}: exited ${r.exitCode}${r.tail ? `: ${r.tail.split('\n').slice(-1)[0]}` : ''}` };
      }
      if (r.exitCode !== 0 && !usesExit) return { ...base, probe, value: scope.value, result: 'error', message: `${base.check}: probe exited ${r.exitCode}` };
    } else if (check.http !== undefined) {
      probe = `${check.http.method ?? 'GET'} ${vars.mask(renderUrl(check.http.url, (n) => vars.value(n)))}`;
      const res = await request(check.http, vars, timeoutMs, ctx.signal);
      scope.status = res.status;
      scope.value = jsonPath(res.body, check.http.json) as Value;
      if (check.expect === undefined) {
        return { ...base, probe, value: res.status, result: res.ok ? 'passed' : 'failed', message: `${base.check}: HTTP ${res.status}` };
      }
    } else {
      probe = vars.mask(check.sql!.trim().replace(/\s+/g, ' '));
      const { querySql } = await import('../pg/query.js');
      const r = await querySql(check.sql!, check.database, vars, timeoutMs, ctx.signal);
      scope.value = r.value as Value;
      scope.rows = r.rows;
      if (check.expect === undefined) return { ...base, probe, value: r.value, result: 'passed', message: `${base.check}: ${r.rows} row(s)` };
      if (r.rows === 0) scope.value = null;
    }
  } catch (e) {
    return { ...base, probe, value: null, result: 'error', message: `${base.check}: ${vars.mask(errorText(e))}` };
  }

  if (check.baseline) scope.baseline = (ctx.baselines?.get(check.name) ?? null) as Value;
  const value = scope.value;
  if (noData(value) && !usesExit) {
    const policy = check.on_no_data ?? 'inconclusive';
    const result = policy === 'fail' ? 'failed' : policy === 'pass' ? 'passed' : 'inconclusive';
    return { ...base, probe, value: value ?? null, result, message: `${base.check}: no data` };
  }
  const ast = parseExpr(check.expect!);
  try {
    const ok = Boolean(evaluate(ast, scope));
    return { ...base, probe, value, result: ok ? 'passed' : 'failed', message: ok ? `${base.check}: ${show(value)} (${check.expect})` : explain(base.check, ast, value) };
  } catch (e) {
    if (e instanceof ExprEvalError) return { ...base, probe, value, result: 'error', message: `${base.check}: ${e.message}` };
    throw e;
  }
}
