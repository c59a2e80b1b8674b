// The harness itself: virtual time, scripted processes, the real engine.
import { describe, expect, it } from 'vitest';
import { engine } from '../harness/index.js';

const DAY = 24 * 3600_000;

/** One step, then a 24 h monitor window sampling ./errors every `interval`. */
const dayWindow = (interval: string) => `version: 1
name: t
stages:
  - id: 1
    name: one
    steps: [{ id: a, run: "./apply", undo: "./revert" }]
    monitor:
      duration: 24h
      interval: ${interval}
      checks: [{ name: errors, command: "./errors", expect: value < 0.05 }]
`;

describe('engine harness', () => {
  it('runs a 24 h monitor window in virtual time', async () => {
    const h = await engine(dayWindow('30s'));
    h.runner.on('./errors', { stdout: '0.01' });
    const started = Date.now();
    const r = await h.stage(1);
    expect(r).toEqual({ code: 0 });
    expect(h.clock.elapsed).toBeGreaterThanOrEqual(DAY);
    expect(h.runner.count('./errors')).toBe(DAY / 30_000 + 1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await h.project()).applied.map((a) => a.stage)).toEqual([1]);
  });

  it('a breach at hour 20 rolls back with the step undone', async () => {
    const h = await engine(dayWindow('1h'));
    h.runner.on('./errors', (n) => ({ stdout: n >= 20 ? '0.2' : '0.01' }));
    const r = await h.stage(1);
    expect(r.code).toBe(1);
    expect(h.runner.count('./revert')).toBe(1);
    expect(h.clock.elapsed).toBe(20 * 3600_000);
    expect(r.error?.message).toContain('errors: 0.2 is not < 0.05');
  });
});
