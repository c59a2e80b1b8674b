/**
 * A real Prometheus for the tests: Debian's `prometheus` binary (PATH or
 * PROMETHEUS_BIN), scraping a local app on 127.0.0.1 every second, with its
 * data in a temp dir. `.ci/run` installs the package when it is missing; a
 * developer without it gets a loud message and the Prometheus tests skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, tempDir } from './cli.js';

export function prometheusBin(): string | null {
  const candidate = process.env.PROMETHEUS_BIN || 'prometheus';
  const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return candidate;
  console.error(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!! Prometheus not found (${process.env.PROMETHEUS_BIN ? `PROMETHEUS_BIN=${candidate}` : 'no `prometheus` on PATH'}):`,
      '!! the Prometheus probe tests are SKIPPED. Install it (Debian/Ubuntu:',
      '!! `apt-get install -y prometheus`, as .ci/run does) or set PROMETHEUS_BIN.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      })
      .on('error', reject);
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Run an instant query against the test server (for assertions). */
export async function promQuery(
  url: string,
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.result;
}

export interface DemoApp {
  dir: string;
  port: number;
  proc: ChildProcess;
  stop(): void;
}

/** The demo's stand-in service (runbooks/demo/app.mjs), copied into `dir/demo` so its state is the test's own. */
export async function startDemoApp(dir: string): Promise<DemoApp> {
  mkdirSync(join(dir, 'demo'), { recursive: true });
  cpSync(join(ROOT, 'runbooks', 'demo', 'app.mjs'), join(dir, 'demo', 'app.mjs'));
  const port = await freePort();
  const proc = spawn(process.execPath, [join(dir, 'demo', 'app.mjs'), 'serve', String(port)], { stdio: 'ignore' });
  await until(
    'the demo app',
    async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined),
    10_000,
  );
  return { dir, port, proc, stop: () => proc.kill('SIGKILL') };
}

export interface Prometheus {
  url: string;
  proc: ChildProcess;
  stop(): void;
}

/** Start Prometheus scraping `targets` (host:port) every second; resolves once every target is up. */
export async function startPrometheus(bin: string, targets: string[]): Promise<Prometheus> {
  const dir = tempDir('migrate-prom-');
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: app',
      `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
    ].join('\n'),
  );
  const proc = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () => proc.kill('SIGKILL');
  try {
    await until('prometheus ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
    await until(
      'every target scraped',
      async () => {
        const up = await promQuery(url, 'up');
        return up.length === targets.length && up.every((s) => s.value[1] === '1') ? true : undefined;
      },
      30_000,
    );
  } catch (e) {
    stop();
    throw e;
  }
  return { url, proc, stop };
}
