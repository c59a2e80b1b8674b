// Hostile data and trees for the expression interpreter (issue 10).
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/expr/evaluate.js';
import { parseExpr, type Expr } from '../../src/expr/parse.js';
import { ExprEvalError } from '../../src/errors.js';

describe('contains looks at own keys only', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])('{} contains %j is false', (key) => {
    expect(evaluate(parseExpr(`value contains "${key}"`), { value: {} })).toBe(false);
  });
  it('a key the object has is found', () => {
    expect(evaluate(parseExpr('value contains "ok"'), { value: { ok: 1 } })).toBe(true);
  });
  it('a name from the prototype is not a defined name', () => {
    expect(() => evaluate(parseExpr('toString == 1'), {})).toThrow(ExprEvalError);
  });
});

describe('depth', () => {
  it('a 20,000-deep tree is a clear evaluation error, not a stack overflow', () => {
    let e: Expr = { kind: 'name', name: 'value', at: 0 };
    for (let i = 0; i < 20_000; i++) e = { kind: 'unary', op: 'not', arg: e, at: 0 };
    expect(() => evaluate(e, { value: 1 })).toThrow(/nested deeper than/);
  });
});
