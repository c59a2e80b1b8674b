/**
 * Metrics where operators keep them: the demo's stand-in service exposes
 * /metrics, a real Prometheus scrapes it every second, and `prometheus:`
 * checks read it through the HTTP API.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { sandbox } from '../helpers/sandbox.js';
import {
  prometheusBin,
  promQuery,
  startDemoApp,
  startPrometheus,
  type DemoApp,
  type Prometheus,
} from '../helpers/prometheus.js';

const bin = prometheusBin();
const ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))';

describe.skipIf(!bin)('prometheus (a real server scraping the demo app)', () => {
  let app: DemoApp;
  let prom: Prometheus;
  const appCli = (...args: string[]) =>
    spawnSync(process.execPath, [join(app.dir, 'demo', 'app.mjs'), ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    app = await startDemoApp(tempDir('migrate-promapp-'));
    prom = await startPrometheus(bin!, [`127.0.0.1:${app.port}`]);
  }, 90_000);
  afterAll(() => {
    prom?.stop();
    app?.stop();
  });

  it('the demo app serves /metrics in Prometheus text format and its counters follow its state', async () => {
    const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
    expect(text).toMatch(/^http_requests_total\{cache="old",code="200"\} \d+$/m);
    expect(text).toMatch(/^cache_read_weight 0$/m);

    appCli('set', 'new_cache_error_rate', '0.5');
    appCli('weight', '50');
    // rate() over 5s needs scrapes after the change: the ratio moves from ~1% to ~25%.
    const end = Date.now() + 20_000;
    let ratio = 0;
    while (Date.now() < end) {
      const r = await promQuery(prom.url, ERROR_RATIO);
      ratio = r.length ? Number(r[0]?.value[1]) : 0;
      if (ratio > 0.2) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.3);
    appCli('weight', '0');
    appCli('set', 'new_cache_error_rate', '0.01');
    // Let the 5s rate window forget the errors before the next test reads it.
    while (Date.now() < end + 20_000) {
      const r = await promQuery(prom.url, ERROR_RATIO);
      if (r.length && Number(r[0]?.value[1]) < 0.02) break;
      await new Promise((res) => setTimeout(res, 500));
    }
  }, 60_000);

  /** A runbook whose guards are prometheus checks against the test server. */
  const guards = (checks: string[], extraVars: string[] = []) =>
    [
      'version: 1',
      'name: p',
      'vars:',
      `  prom: { default: "${prom.url}" }`,
      ...extraVars.map((v) => `  ${v}`),
      'guards:',
      ...checks.map((c) => `  - ${c}`),
      'stages:',
      '  - { id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }',
      '',
    ].join('\n');
  const check = (yaml: string, args: string[] = []) => sandbox(yaml).run(['check', '--json', ...args]);
  const samples = (r: { stdout: string; stderr: string }) => {
    try {
      return JSON.parse(r.stdout) as { check: string; probe: string; value: number; result: string; message: string }[];
    } catch {
      throw new Error(`${r.stdout}\n${r.stderr}`);
    }
  };

  it('migrate check shows the query, the value and the verdict', () => {
    const yaml = guards([
      `{ name: error ratio, prometheus: { url: "\${prom}", query: '${ERROR_RATIO}' }, expect: value < 0.05 }`,
    ]);
    const box = sandbox(yaml);
    const text = box.run(['check']);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toContain(`prometheus ${prom.url}: ${ERROR_RATIO}`);
    expect(text.stdout).toMatch(/error ratio: 0\.0\d+ \(value < 0\.05\)/);
    expect(text.stdout).toContain('[passed]');
    const [s] = samples(box.run(['check', '--json']));
    expect(s).toMatchObject({ result: 'passed', probe: `prometheus ${prom.url}: ${ERROR_RATIO}` });
    if (!s) return;
    expect(s.value).toBeGreaterThan(0);
    expect(s.value).toBeLessThan(0.05);
  });

  it('several series are an error sample unless aggregate says how to reduce them; labels reach the expectation', () => {
    const r = samples(
      check(
        guards([
          `{ name: many, prometheus: { url: "\${prom}", query: 'http_requests_total' }, expect: value > 0 }`,
          `{ name: summed, prometheus: { url: "\${prom}", query: 'http_requests_total', aggregate: sum }, expect: value > 0 }`,
          `{ name: top, prometheus: { url: "\${prom}", query: 'http_requests_total', aggregate: max }, expect: "labels contains 'code=\\"200\\"'" }`,
          `{ name: old only, prometheus: { url: "\${prom}", query: 'http_requests_total{cache="old",code="200"}' }, expect: "labels contains 'cache=\\"old\\"'" }`,
        ]),
      ),
    );
    expect(r[0]).toMatchObject({ result: 'error' });
    expect(r[0]?.message).toMatch(/query returned [2-4] series \(\{.*cache=.*\}.*\): aggregate them in PromQL/);
    expect(r[1]).toMatchObject({ result: 'passed' });
    expect(r[1]?.message).toMatch(/sum of [2-4] series/);
    expect(r[2]).toMatchObject({ result: 'passed' });
    expect(r[3]).toMatchObject({ result: 'passed' });
  });

  it('an empty result is no data, and on_no_data applies', () => {
    const r = samples(
      check(
        guards([
          `{ name: none, prometheus: { url: "\${prom}", query: 'http_requests_total{cache="nope"}' }, expect: value < 1 }`,
          `{ name: none but fine, prometheus: { url: "\${prom}", query: 'http_requests_total{cache="nope"}' }, expect: value < 1, on_no_data: pass }`,
        ]),
      ),
    );
    expect(r[0]).toMatchObject({ result: 'inconclusive', message: 'none: no data' });
    expect(r[1]).toMatchObject({ result: 'passed' });
  });

  it('+Inf and -Inf are numbers, not no data; NaN is no data (issue 12)', () => {
    const r = samples(
      check(
        guards([
          `{ name: inf, prometheus: { url: "\${prom}", query: 'vector(1)/0' }, expect: value < 0.05, on_no_data: pass }`,
          `{ name: neg inf, prometheus: { url: "\${prom}", query: 'vector(-1)/0' }, expect: value < 0.05 }`,
          `{ name: nan, prometheus: { url: "\${prom}", query: 'vector(0)/0' }, expect: value < 0.05 }`,
          `{ name: inf eq, prometheus: { url: "\${prom}", query: 'vector(1)/0' }, expect: value == -1 / 0 }`,
          `{ name: scalar inf, prometheus: { url: "\${prom}", query: 'scalar(vector(1))/0' }, expect: value > 1000000 }`,
        ]),
      ),
    );
    expect(r[0]).toMatchObject({ result: 'failed', message: 'inf: +Inf is not < 0.05' });
    expect(r[1]).toMatchObject({ result: 'passed', message: 'neg inf: -Inf (value < 0.05)' });
    expect(r[2]).toMatchObject({ result: 'inconclusive', message: 'nan: no data' });
    expect(r[3]).toMatchObject({ result: 'failed' });
    expect(r[3]?.message).toContain('+Inf');
    expect(r[4]).toMatchObject({ result: 'passed' });
  });

  it('at and baseline.query_offset may be ${var} durations, substituted before the query (issue 12)', () => {
    const r = samples(
      check(
        guards(
          [
            `{ name: at var, prometheus: { url: "\${prom}", query: 'time()', at: "\${lag}" }, expect: value > 0 }`,
            `{ name: offset var, prometheus: { url: "\${prom}", query: 'vector(time())' }, baseline: { query_offset: "\${off}" }, expect: value - baseline > 3000 }`,
          ],
          ['lag: { default: "1h" }', 'off: { default: "1h" }'],
        ),
      ),
    );
    expect(r[0], JSON.stringify(r)).toMatchObject({ result: 'passed' });
    // evaluated an hour ago, not in 1677
    expect(Math.abs(r[0]!.value - (Date.now() / 1000 - 3600))).toBeLessThan(120);
    expect(r[0]?.probe).toContain('at -1h');
    expect(r[1], JSON.stringify(r)).toMatchObject({ result: 'passed' });
  });

  it('${var} values are PromQL string literals, never query text', () => {
    const hostile = 'old"} or vector(42) or http_requests_total{cache="';
    const yaml = guards(
      [
        `{ name: injected, prometheus: { url: "\${prom}", query: 'sum(http_requests_total{cache=\${cache}})' }, expect: value > 0, on_no_data: fail }`,
      ],
      ['cache: { default: "old" }'],
    );
    const box = sandbox(yaml);
    const ok = samples(box.run(['check', '--json']));
    expect(ok[0]).toMatchObject({
      result: 'passed',
      probe: `prometheus ${prom.url}: sum(http_requests_total{cache="old"})`,
    });
    const r = samples(box.run(['check', '--json', '--set', `cache=${hostile}`]));
    // Spliced as text this would be 42; as a string literal it matches no series.
    expect(r[0]).toMatchObject({ result: 'failed', value: null });
    expect(r[0]?.probe).toContain(String.raw`cache="old\"} or vector(42) or http_requests_total{cache=\""`);
  });

  it('compare: a ratio between two queries shows both numbers; baseline.query_offset re-runs the query shifted back', () => {
    const newRate =
      'sum(rate(http_requests_total{cache="new",code="500"}[5s])) / sum(rate(http_requests_total{cache="new"}[5s]))';
    const oldRate =
      'sum(rate(http_requests_total{cache="old",code="500"}[5s])) / sum(rate(http_requests_total{cache="old"}[5s]))';
    appCli('weight', '50');
    appCli('set', 'new_cache_error_rate', '0.2');
    return new Promise<void>((done) => setTimeout(done, 6000)).then(() => {
      const r = samples(
        check(
          guards([
            `{ name: v2 vs v1, prometheus: { url: "\${prom}", query: '${newRate}', compare: '${oldRate}' }, expect: value < compare * 3 }`,
            `{ name: grows, prometheus: { url: "\${prom}", query: 'sum(http_requests_total)' }, baseline: { query_offset: 4s }, expect: value > baseline }`,
            `{ name: at, prometheus: { url: "\${prom}", query: 'sum(http_requests_total)', at: 4s }, expect: value > 0 }`,
          ]),
        ),
      );
      appCli('weight', '0');
      appCli('set', 'new_cache_error_rate', '0.01');
      expect(r[0]).toMatchObject({ result: 'failed' });
      // "0.2 is not < 0.03 (0.01 × 3) (compare 0.01)": both numbers in the message
      expect(r[0]?.message).toMatch(/^v2 vs v1: 0\.[12]\d* is not < 0\.0\d+ \(0\.0\d+ × 3\) \(compare 0\.0\d+\)$/);
      expect(r[1]).toMatchObject({ result: 'passed' });
      expect(r[1]?.message).toMatch(/grows: \d+ \(value > baseline; baseline \d+\)/);
      expect(r[1]?.probe).toContain('(baseline: 4s earlier)');
      expect(r[2]?.result).toBe('passed');
      expect(r[2]?.value).toBeLessThan(r[1]?.value ?? 0);
    });
  }, 30_000);

  it("a breach driven by the app's real counters, scraped by a real Prometheus, rolls the stage back", () => {
    const app_ = join(app.dir, 'demo', 'app.mjs');
    const box = sandbox(
      [
        'version: 1',
        'name: shift',
        'vars:',
        `  prom: { default: "${prom.url}" }`,
        `  app: { default: "${app_}" }`,
        'stages:',
        '  - id: 1',
        '    name: shift reads to the new cache',
        '    steps:',
        '      - { id: broken, run: "node ${app} set new_cache_error_rate 0.5", undo: "node ${app} set new_cache_error_rate 0.01" }',
        '      - { id: shift, run: "node ${app} weight 50", undo: "node ${app} weight 0" }',
        '    monitor:',
        '      duration: 40s',
        '      interval: 1s',
        '      tolerate: 1',
        '      on_no_data: pass',
        '      checks:',
        `        - { name: error ratio below 5%, prometheus: { url: "\${prom}", query: '${ERROR_RATIO}' }, expect: value < 0.05 }`,
        '',
      ].join('\n'),
    );
    const r = box.run(['stage', '1', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const journal = box.journal();
    const breach = journal.find((e) => e.event === 'monitor.breach')!;
    expect(breach).toMatchObject({ check: 'error ratio below 5%' });
    expect(breach.value).toBeGreaterThan(0.05);
    expect(breach.reason).toMatch(
      /error ratio below 5%: 0\.\d+ is not < 0\.05 \(2nd consecutive failure, tolerate 1\)/,
    );
    const samples = journal.filter((e) => e.event === 'check.sample');
    expect(samples[0]?.probe).toBe(`prometheus ${prom.url}: ${ERROR_RATIO}`);
    expect(journal.map((e) => e.event)).toContain('rollback.completed');
    expect(box.status()).toMatchObject({ current_stage: 0, state: 'clean' });
    // the undos ran against the live service
    expect(appCli('metric', 'weight').stdout.trim()).toBe('0');
    expect(appCli('metric', 'error_rate').stdout.trim()).toBe('0.01');
  }, 90_000);
});

describe('prometheus checks in validate (no server needed)', () => {
  const rb = (check: string) =>
    [
      'version: 1',
      'name: v',
      'vars: { prom: { default: "http://127.0.0.1:9" } }',
      `guards: [${check}]`,
      'stages: [{ id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }]',
      '',
    ].join('\n');

  it('accepts a prometheus probe with compare, labels and a query_offset baseline', () => {
    const r = sandbox(
      rb(
        `{ name: r, prometheus: { url: "\${prom}", query: "up", compare: "up", aggregate: avg, at: 1m }, baseline: { query_offset: 1h }, expect: "value <= compare and value < baseline * 2 and not (labels contains 'x')" }`,
      ),
    ).run(['validate', 'migrate.yaml']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('query_offset needs a prometheus probe; aggregate takes max|min|sum|avg', () => {
    const box = sandbox(rb('{ name: c, command: "echo 1", baseline: { query_offset: 1h }, expect: value < baseline }'));
    const r = box.run(['validate', '--format', 'json', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ code: 'baseline-offset', line: 4 })]);
    const bad = sandbox(rb('{ name: c, prometheus: { url: "${prom}", query: "up", aggregate: median } }')).run([
      'validate',
      '--format',
      'json',
      'migrate.yaml',
    ]);
    expect(JSON.parse(bad.stdout)).toEqual([expect.objectContaining({ code: 'value' })]);
  });
});
