/**
 * Why a sample failed, with numbers rather than names (an operator at 3 am
 * needs "0.2 is not <= 0.05 (max_error_rate)", not "is not <= max_error_rate").
 */
import { evaluate, type Value } from '../expr/evaluate.js';
import { exprToString, type Expr } from '../expr/parse.js';

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const PROBE_NAMES = new Set(['value', 'status', 'rows', 'exit_code']);

/** A value as an operator reads it: numbers without float noise, strings quoted. */
export function show(v: unknown): string {
  if (typeof v === 'number')
    return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(Number(v.toPrecision(12)));
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** The right-hand side with its inputs shown: the measured baseline by name and value, vars by value. */
function inputs(e: Expr, scope: Record<string, Value>): string {
  switch (e.kind) {
    case 'lit':
      return exprToString(e);
    case 'name':
      return e.name === 'baseline' ? `baseline ${show(scope.baseline)}` : show(scope[e.name]);
    case 'unary':
      return e.op === 'not' ? `not ${inputs(e.arg, scope)}` : `-${inputs(e.arg, scope)}`;
    case 'binary':
      return `${inputs(e.left, scope)} ${e.op === '*' ? '×' : e.op === '/' ? '÷' : e.op} ${inputs(e.right, scope)}`;
  }
}

/** "0.159 is not < 0.074 (baseline 0.037 × 2)"; for other shapes, the value and the expectation. */
export function explainFailure(ast: Expr, scope: Record<string, Value>): string {
  if (ast.kind === 'binary' && COMPARISONS.has(ast.op) && ast.left.kind === 'name' && PROBE_NAMES.has(ast.left.name)) {
    const left = ast.left.name === 'value' ? show(scope.value) : `${ast.left.name} ${show(scope[ast.left.name])}`;
    const r = ast.right;
    let right: string;
    try {
      right = show(evaluate(r, scope));
    } catch {
      right = exprToString(r);
    }
    const why = r.kind === 'lit' ? '' : r.kind === 'name' ? ` (${r.name})` : ` (${inputs(r, scope)})`;
    return `${left} is not ${ast.op} ${right}${why}`;
  }
  return `${show(scope.value)} does not satisfy ${exprToString(ast)}`;
}
