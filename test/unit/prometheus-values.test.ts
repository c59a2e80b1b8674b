/** Prometheus sample values and infinities in expressions (issue 12). */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/expr/evaluate.js';
import { parseExpr } from '../../src/expr/parse.js';
import { explainFailure, show } from '../../src/engine/explain.js';
import { parseSampleValue, showValue } from '../../src/probes/prometheus.js';

const ev = (e: string, scope: Record<string, number>) => evaluate(parseExpr(e), scope);

describe('prometheus sample values', () => {
  it('+Inf and -Inf are infinities, NaN is NaN (no data), numbers are numbers', () => {
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e+06')).toBe(1e6);
  });

  it('messages print +Inf and -Inf', () => {
    expect(showValue(Infinity)).toBe('+Inf');
    expect(showValue(-Infinity)).toBe('-Inf');
    expect(show(Infinity)).toBe('+Inf');
    expect(explainFailure(parseExpr('value < 0.05'), { value: Infinity })).toBe('+Inf is not < 0.05');
  });

  it('comparisons with infinities', () => {
    expect(ev('value < 0.05', { value: Infinity })).toBe(false);
    expect(ev('value > 1000000', { value: Infinity })).toBe(true);
    expect(ev('value < 0', { value: -Infinity })).toBe(true);
    expect(ev('value == other', { value: Infinity, other: -Infinity })).toBe(false);
    expect(ev('value != other', { value: Infinity, other: -Infinity })).toBe(true);
    expect(ev('value == other', { value: Infinity, other: Infinity })).toBe(true);
    expect(ev('value == 1 / 0', { value: Infinity })).toBe(true);
  });
});
