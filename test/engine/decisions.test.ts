// Decisions an operator must be able to trust (issue 8 items 1-5), in virtual time.
import { describe, expect, it } from 'vitest';
import { engine } from '../harness/index.js';

const rb = (stage: string, head = '') => `version: 1\nname: t\n${head}stages:\n  - id: 1\n    name: one\n${stage}`;
const STEP = '    steps: [{ id: a, run: "./apply", undo: "./revert" }]\n';

describe('no data depends on the names the expectation reads', () => {
  it.each([
    ['value < 1 on empty output', 'value < 1', '', 'inconclusive'],
    ['exit_code == 0 on empty output', 'exit_code == 0', '', 'passed'],
    ['exit_code == 3 on a failing probe', 'exit_code == 3', '', 'passed'],
  ])('%s', async (_t, expect_, stdout, result) => {
    const h = await engine(rb(`    preflight: [{ name: p, command: "./probe", expect: "${expect_}" }]\n${STEP}`));
    h.runner.on('./probe', { stdout, exit: expect_.includes('3') ? 3 : 0 });
    await h.stage(1);
    expect((h.events('preflight.finished')[0]!.samples as { result: string }[])[0]!.result).toBe(result);
  });
});

describe('window-level on_no_data', () => {
  it.each([
    ['pass at window level completes', 'on_no_data: pass', '', 0],
    ['fail at window level breaches', 'on_no_data: fail', '', 1],
    ['the check overrides the window', 'on_no_data: fail', 'on_no_data: pass, ', 0],
  ])('%s', async (_t, windowLevel, checkLevel, code) => {
    const h = await engine(
      rb(
        `${STEP}    monitor:\n      duration: 1h\n      interval: 10m\n      ${windowLevel}\n      checks: [{ name: q, ${checkLevel}command: "./queue", expect: value < 5 }]\n`,
      ),
    );
    h.runner.on('./queue', { stdout: '' });
    const r = await h.stage(1);
    expect(r.code).toBe(code);
    expect(h.events('check.sample')[0]!.result).toBe(code ? 'failed' : 'passed');
  });
});

describe('counters and baselines are keyed by identity, not name', () => {
  it('a failing monitor check behind a passing guard of the same name breaches', async () => {
    const h = await engine(
      rb(
        `${STEP}    monitor:\n      duration: 1h\n      interval: 10m\n      tolerate: 1\n      checks: [{ name: latency, command: "./mon", expect: value < 5 }]\n`,
        'guards: [{ name: latency, command: "./guard", expect: value < 5 }]\n',
      ),
    );
    h.runner.on('./mon', { stdout: '9' }).on('./guard', { stdout: '1' });
    const r = await h.stage(1);
    expect(r.code).toBe(1);
    expect(h.events('monitor.breach')[0]!.reason).toContain('2nd consecutive failure');
  });

  it('a guard and a monitor check of the same name keep their own baselines', async () => {
    const h = await engine(
      rb(
        `${STEP}    monitor:\n      duration: 1h\n      interval: 30m\n      checks: [{ name: x, command: "./mon", baseline: true, expect: value <= baseline }]\n`,
        'guards: [{ name: x, command: "./guard", baseline: true, expect: value <= baseline }]\n',
      ),
    );
    h.runner.on('./mon', { stdout: '100' }).on('./guard', { stdout: '1' });
    expect((await h.stage(1)).code).toBe(0);
    expect(h.events('stage.started')[0]!.baselines).toEqual({ 'guard:x': 1, 'monitor:x': 100 });
  });
});

describe('baselines', () => {
  it('a verify check with a baseline uses the value from before the stage', async () => {
    const h = await engine(
      rb(`${STEP}    verify: [{ name: rows, command: "./count", baseline: true, expect: value >= baseline }]\n`),
    );
    h.runner.on('./count', [{ stdout: '10' }, { stdout: '12' }]);
    const r = await h.stage(1);
    expect(r).toEqual({ code: 0 });
    expect(h.events('stage.started')[0]!.baselines).toEqual({ 'verify:rows': 10 });
  });

  it('--resume reuses the journaled baseline instead of measuring again', async () => {
    const h = await engine(
      rb(
        `    steps:\n      - { id: a, run: "./apply", undo: "./revert" }\n      - { id: b, run: "./slow", undo: "true" }\n    monitor:\n      duration: 10m\n      interval: 1m\n      checks: [{ name: lat, command: "./lat", baseline: true, expect: value < baseline * 2 }]\n`,
      ),
    );
    h.runner.on('./lat', [{ stdout: '100' }, { stdout: '150' }]);
    const stop = new AbortController();
    // Ctrl-C while step b runs.
    h.runner.on('./slow', () => {
      stop.abort();
      return { delayMs: 60_000 };
    });
    const r = await h.stage(1, { signal: stop.signal });
    expect(r.code).toBe(130);
    // Measured again after the change, the baseline would be 150 and 150 < 300 would pass; the real one is 100.
    h.runner.on('./lat', { stdout: '250' });
    h.runner.on('./slow', {});
    const again = await h.stage(1, { resume: true });
    expect(again.code).toBe(1);
    expect(again.error?.message).toContain('250 is not < 200 (baseline 100 × 2)');
    expect(h.events('stage.started').map((e) => e.baselines)).toEqual([{ 'monitor:lat': 100 }, { 'monitor:lat': 100 }]);
  });

  it('baseline: { samples: 5, every: 10s } takes the median of five samples before the stage', async () => {
    const h = await engine(
      rb(
        `${STEP}    monitor:\n      duration: 10m\n      interval: 1m\n      checks: [{ name: lat, command: "./lat", baseline: { samples: 5, every: 10s }, expect: value < baseline * 2 }]\n`,
      ),
    );
    h.runner.on('./lat', [
      { stdout: '100' },
      { stdout: '900' },
      { stdout: '110' },
      { stdout: '90' },
      { stdout: '105' },
      { stdout: '150' },
    ]);
    expect((await h.stage(1)).code).toBe(0);
    expect(h.events('stage.started')[0]!.baselines).toEqual({ 'monitor:lat': 105 });
    expect(h.clock.elapsed).toBeGreaterThanOrEqual(40_000 + 600_000);
  });
});

describe('failure kinds and people', () => {
  it('a stage timeout is journaled as timeout', async () => {
    const h = await engine(
      rb(
        `    timeout: 5m\n    steps: [{ id: a, run: "./apply", undo: "./revert" }, { id: b, run: "./hang", undo: "true" }]\n`,
      ),
    );
    h.runner.on('./hang', { delayMs: 3600_000 });
    const r = await h.stage(1);
    expect(r.code).toBe(1);
    expect(h.events('stage.failed')[0]!.kind).toBe('timeout');
    expect(h.runner.count('./revert')).toBe(1);
  });

  it('a pause until confirm with nobody to ask exits 5, journaled, its completed steps rolled back', async () => {
    const h = await engine(
      rb(
        `    steps:\n      - { id: a, run: "./apply", undo: "./revert" }\n      - { id: ask, needs: [a], pause: { until: confirm, message: "Traffic looks fine?" } }\n      - { id: c, needs: [ask], run: "./after", undo: "true" }\n`,
      ),
    );
    const r = await h.stage(1);
    expect(r.code).toBe(5);
    expect(h.events('stage.failed')[0]!.kind).toBe('declined');
    expect(h.runner.count('./after')).toBe(0);
    expect(h.runner.count('./revert')).toBe(1);
    expect((await h.project()).active).toBeNull();
  });

  it('a pause the operator declines exits 5 too', async () => {
    const h = await engine(
      rb(
        `    steps:\n      - { id: a, run: "./apply", undo: "./revert" }\n      - { id: ask, needs: [a], pause: { until: confirm } }\n`,
      ),
      { answers: [false] },
    );
    const r = await h.stage(1);
    expect(r.code).toBe(5);
    expect(h.runner.count('./revert')).toBe(1);
  });

  it('an unexpected error is journaled as internal, never as verify', async () => {
    const h = await engine(rb(`${STEP}    verify: [{ name: v, command: "./v" }]\n`));
    h.runner.run = async () => {
      throw new TypeError('boom');
    };
    await h.stage(1).catch(() => undefined);
    expect(h.events('stage.failed').map((e) => e.kind)).not.toContain('verify');
  });
});

describe('messages show values', () => {
  it('a failing probe shows its stderr tail', async () => {
    const h = await engine(rb(`    preflight: [{ name: p, command: "./probe", expect: value < 1 }]\n${STEP}`));
    h.runner.on('./probe', { exit: 2, stderr: 'psql: connection refused' });
    const r = await h.stage(1);
    expect(r.error?.message).toContain('probe exited 2: psql: connection refused');
  });

  it('a var on the right shows its value and its name', async () => {
    const h = await engine(
      rb(
        `    preflight: [{ name: rate, command: "./probe", expect: value <= max_error_rate }]\n${STEP}`,
        'vars: { max_error_rate: { default: 0.05 } }\n',
      ),
    );
    h.runner.on('./probe', { stdout: '0.2' });
    const r = await h.stage(1);
    expect(r.error?.message).toContain('rate: 0.2 is not <= 0.05 (max_error_rate)');
  });
});

describe('canary holds', () => {
  const canary = (extra: string) =>
    `    canary:\n      weights: [5, 50, 100]\n      hold: 8h\n      interval: 10m\n      tolerate: 1\n${extra}      set: { run: "./weight \${weight}", undo: "./weight 0" }\n      checks: [{ name: lat, command: "./canary-lat", baseline: true, expect: value < baseline * 2 }]\n`;

  it('a canary check keeps its own counter and baseline beside a guard of the same name; window on_no_data applies', async () => {
    const h = await engine(
      rb(
        canary('      on_no_data: pass\n'),
        'guards: [{ name: lat, command: "./guard-lat", baseline: true, expect: value < baseline * 2 }]\n',
      ),
    );
    h.runner.on('./guard-lat', { stdout: '10' });
    // Baseline 100; then no data (passes by the window's policy) until 50%, where it doubles.
    h.runner.on('./canary-lat', (n) => ({ stdout: n === 0 ? '100' : n < 60 ? '' : '250' }));
    const r = await h.stage(1);
    expect(r.code).toBe(1);
    expect(h.events('stage.started')[0]!.baselines).toEqual({ 'canary:lat': 100, 'guard:lat': 10 });
    expect(h.events('monitor.breach')[0]).toMatchObject({ check_id: 'canary:lat', window: 'canary:50' });
    // Set to 5, set to 50, then the rollback's undo.
    const weights = h.runner.calls.filter((c) => c.startsWith('./weight'));
    expect(weights.length).toBe(3);
    expect(weights[2]).toBe('./weight 0');
  });
});
