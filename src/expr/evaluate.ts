import type { Expr } from './parse.js';
import { ExprEvalError } from '../errors.js';

export type Value = number | string | boolean | null | undefined | Value[] | { [k: string]: Value };

function num(v: Value, what: string): number {
  if (typeof v === 'number' && !Number.isNaN(v)) return v;
  throw new ExprEvalError(`${what} is ${JSON.stringify(v) ?? 'undefined'}, not a number`);
}

function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  // JSON writes Infinity and NaN as null: numbers compare as numbers.
  if (typeof a === 'number' || typeof b === 'number') return false;
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Deeper than any expression a person writes; the parser refuses these first, this guards built trees. */
const MAX_DEPTH = 1000;

export function evaluate(expr: Expr, scope: Record<string, Value>, depth = 0): Value {
  if (depth > MAX_DEPTH) throw new ExprEvalError(`expression nested deeper than ${MAX_DEPTH} levels`);
  const evaluate_ = (e: Expr) => evaluate(e, scope, depth + 1);
  switch (expr.kind) {
    case 'lit':
      return expr.value;
    case 'name':
      if (!Object.hasOwn(scope, expr.name)) throw new ExprEvalError(`'${expr.name}' is not defined here`);
      return scope[expr.name];
    case 'unary': {
      const v = evaluate_(expr.arg);
      return expr.op === 'not' ? !truthy(v) : -num(v, 'operand of -');
    }
    case 'binary': {
      if (expr.op === 'and') return truthy(evaluate_(expr.left)) && truthy(evaluate_(expr.right));
      if (expr.op === 'or') return truthy(evaluate_(expr.left)) || truthy(evaluate_(expr.right));
      const l = evaluate_(expr.left);
      const r = evaluate_(expr.right);
      switch (expr.op) {
        case '==':
          return equal(l, r);
        case '!=':
          return !equal(l, r);
        case 'contains':
          if (typeof l === 'string')
            return typeof r === 'string' || typeof r === 'number' ? l.includes(String(r)) : false;
          if (Array.isArray(l)) return l.some((x) => equal(x, r));
          // Own keys only: `value contains "toString"` must not find Object.prototype.
          if (l && typeof l === 'object') return typeof r === 'string' && Object.hasOwn(l, r);
          throw new ExprEvalError(`cannot look inside ${JSON.stringify(l)}`);
        case '+':
          if (typeof l === 'string' && typeof r === 'string') return l + r;
          return num(l, 'left of +') + num(r, 'right of +');
        case '-':
          return num(l, 'left of -') - num(r, 'right of -');
        case '*':
          return num(l, 'left of *') * num(r, 'right of *');
        case '/':
          return num(l, 'left of /') / num(r, 'right of /');
        default: {
          const a = num(l, `left of ${expr.op}`);
          const b = num(r, `right of ${expr.op}`);
          if (expr.op === '<') return a < b;
          if (expr.op === '<=') return a <= b;
          if (expr.op === '>') return a > b;
          return a >= b;
        }
      }
    }
  }
}

export function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}
