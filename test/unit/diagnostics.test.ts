import { describe, expect, it } from 'vitest';
import { didYouMean, distance, quote } from '../../src/runbook/diagnostics.js';
import { MAX_EXPR_DEPTH, parseExpr } from '../../src/expr/parse.js';
import { ExprSyntaxError } from '../../src/errors.js';

describe('did you mean', () => {
  it.each([
    ['hihg', 'high', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
    ['ab', 'ba', 1],
  ])('distance(%s, %s) = %i', (a, b, d) => {
    expect(distance(a, b)).toBe(d);
    // A band narrower than the distance only says "more than the limit".
    if (d > 0) expect(distance(a, b, d - 1)).toBeGreaterThan(d - 1);
    expect(distance(a, b, d)).toBe(d);
  });

  it('suggests close words and skips long ones cheaply', () => {
    expect(didYouMean('hihg', ['low', 'medium', 'high', 'critical'])).toBe("; did you mean 'high'?");
    expect(didYouMean('zzzz', ['low', 'medium', 'high'])).toBe('');
    const t0 = performance.now();
    expect(didYouMean('a'.repeat(4_000_000), ['low', 'medium', 'high'])).toBe('');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('quotes long values short', () => {
    expect(quote('x'.repeat(100))).toBe(`${'x'.repeat(60)}… (100 characters)`);
  });
});

describe('expression depth', () => {
  it(`accepts ${MAX_EXPR_DEPTH} levels and refuses more, at the token that goes too deep`, () => {
    expect(() => parseExpr(`${'('.repeat(MAX_EXPR_DEPTH)}value${')'.repeat(MAX_EXPR_DEPTH)} == 1`)).not.toThrow();
    const deep = `${'('.repeat(MAX_EXPR_DEPTH + 1)}value${')'.repeat(MAX_EXPR_DEPTH + 1)}`;
    expect(() => parseExpr(deep)).toThrow(ExprSyntaxError);
    try {
      parseExpr(deep);
    } catch (e) {
      expect(e).toMatchObject({ code: 'expr-too-deep', offset: MAX_EXPR_DEPTH });
    }
    expect(() => parseExpr(Array.from({ length: 40 }, () => 'value').join(' + ') + ' > 0')).not.toThrow();
    expect(() => parseExpr(Array.from({ length: 200 }, () => 'value').join(' + ') + ' > 0')).toThrow(
      /nested more than/,
    );
  });
});
