import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/expr/evaluate.js';
import { parseExpr } from '../../src/expr/parse.js';
import { ExprEvalError, ExprSyntaxError } from '../../src/errors.js';

const scope = { value: 0.07, status: 200, baseline: 100, s: 'all good', list: [1, 2], name: 'x', n: null };

describe('evaluates', () => {
  it.each([
    ['value < 0.05', false],
    ['value >= 0.07', true],
    ['status == 200 and value < 1', true],
    ['status != 200 or value > 0.05', true],
    ['not (status == 200)', false],
    ['baseline * 2 > 150', true],
    ['1 + 2 * 3 == 7', true],
    ['(1 + 2) * 3 == 9', true],
    ['-value < 0', true],
    ['s contains "good"', true],
    ["s contains 'bad'", false],
    ['list contains 2', true],
    ['n == null', true],
    ['name == "x"', true],
    ['true and not false', true],
    ['10 / 4 == 2.5', true],
  ])('%s -> %s', (src, want) => {
    expect(evaluate(parseExpr(src), scope)).toBe(want);
  });
});

describe('rejects with a position', () => {
  it.each([
    ['value = 1', 6, "use '=='"],
    ['value && 1', 6, "use 'and'"],
    ['!value', 0, "use 'not'"],
    ['value <', 7, 'unexpected end'],
    ['(value < 1', 10, "expected ')'"],
    ['"open', 0, 'unterminated'],
    ['1 < 2 < 3', 6, 'do not chain'],
    ['value ; rm -rf /', 6, "unexpected character ';'"],
    ['process.exit()', 7, "unexpected character '.'"],
  ])('%s at %i', (src, offset, text) => {
    try {
      parseExpr(src);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExprSyntaxError);
      expect((e as ExprSyntaxError).offset).toBe(offset);
      expect((e as Error).message).toContain(text);
    }
  });
});

describe('evaluation errors are errors, not false', () => {
  it.each([['s < 1'], ['missing == 1'], ['value + s']])('%s', (src) => {
    expect(() => evaluate(parseExpr(src), scope)).toThrow(ExprEvalError);
  });
});
