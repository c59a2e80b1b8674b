/**
 * Metrics where operators keep them: the demo's stand-in service exposes
 * /metrics, a real Prometheus scrapes it every second, and `prometheus:`
 * checks read it through the HTTP API.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { prometheusBin, promQuery, startDemoApp, startPrometheus, type DemoApp, type Prometheus } from '../helpers/prometheus.js';

const bin = prometheusBin();
const ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))';

describe.skipIf(!bin)('prometheus (a real server scraping the demo app)', () => {
  let app: DemoApp;
  let prom: Prometheus;
  const appCli = (...args: string[]) => spawnSync(process.execPath, [join(app.dir, 'demo', 'app.mjs'), ...args], { encoding: 'utf8' });

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
      ratio = r.length ? Number(r[0].value[1]) : 0;
      if (ratio > 0.2) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.3);
    appCli('weight', '0');
  }, 60_000);
});
