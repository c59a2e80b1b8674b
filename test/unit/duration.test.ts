import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/runbook/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
    ['1s500ms', 1500],
  ])('%s = %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['', '5', 'm5', '5 minutes', '30m1h', '1.5h', '5mm', '-1s', '1h1h'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
