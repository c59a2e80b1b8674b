// Every shipped runbook at a real terminal (tmux): a stage through its gate, a
// breach with automatic rollback, Ctrl-C with the roll-back question, and an
// emergency rollback. A crash, a wrong exit code or a final screen that
// contradicts `status --json` fails the test.
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';
import { serve, type Served } from '../helpers/http.js';
import { freshDatabase, sql } from '../helpers/pg.js';
import { closeTerminals, crashes, inTerminal, requireTmux, type Terminal } from '../helpers/terminal.js';

beforeAll(requireTmux);
afterEach(closeTerminals);

/** A copy of a shipped runbook and what it ships beside it, unchanged: `--env drill` shortens its waits. */
function shipped(name: string): { dir: string; file: string } {
  const dir = tempDir('migrate-term-');
  cpSync(join(ROOT, 'runbooks'), dir, { recursive: true });
  return { dir, file: join(dir, `${name}.yaml`) };
}

/**
 * What the last lines of a run claim about the state, read as an operator
 * would: the stage it is at afterwards, and that it is clean.
 */
function claimed(screen: string): { current_stage: number; state: string } {
  const text = screen.trimEnd().split('\n').slice(-6).join('\n');
  const m =
    /stage (\d+) completed/.exec(text) ??
    /stage (\d+) failed and was rolled back/.exec(text) ??
    /stage (\d+) was rolled back/.exec(text) ??
    /rolled back stages? ([\d, ]+)/.exec(text);
  if (!m) throw new Error(`the screen's last lines say nothing of the outcome:\n${screen}`);
  if (/completed/.test(m[0])) return { current_stage: Number(m[1]), state: 'clean' };
  const undone = m[1]!.split(',').map(Number);
  return { current_stage: Math.min(...undone) - 1, state: 'clean' };
}

/** No stack trace, no TypeError, no "internal error" anywhere on the terminal. */
function noCrash(t: Terminal): void {
  expect(crashes(t.all()), t.all()).toEqual([]);
}

// ---------------------------------------------------------------------------
// Every shipped runbook, against a stand-in world: an HTTP service whose JSON
// the test controls, and each script the runbook calls answering from a file.

/** The service the runbooks' http checks read; tests change values to cause a breach. */
const service: Record<string, Record<string, unknown>> = {};
function healthy(): void {
  Object.assign(service, {
    '/health': {},
    '/metrics': {
      errors: { rate: 0.01, missing_context: 0 },
      latency: { p99_ms: 100 },
      telemetry: { spans_per_minute: 10 },
      pdict: { violations: 0, accesses_per_minute: 0, registry_reads: 0 },
      beam: { restarts_per_minute: 0 },
    },
    '/debug/pdict': { registry: { reads: 0 } },
    '/pools': { pool_v2: { connected: 50, shadow_mismatches: 0, saturation: 0.1 }, pool_v1: { active: 0 }, count: 1 },
  });
}
let http: Served;
beforeAll(async () => {
  healthy();
  const any = (path: string) => () => ({ json: service[path] ?? {} });
  http = await serve({
    ...Object.fromEntries(['/health', '/metrics', '/debug/pdict', '/pools'].map((p) => [p, (_b: string) => any(p)()])),
    'POST /api/annotations': () => ({ json: {} }),
  });
});
afterAll(() => http?.close());

/** What each script prints (default 0); `flags` is a small flag CLI over a file. */
// rpc.sh prints a bare true, as the real RPC does (a check reads it as a boolean).
const SCRIPT_VALUES: Record<string, string> = {
  'rpc.sh': 'true',
  'db-connection-headroom.sh': '1000',
  'hours-at-full-weight.sh': '48',
  'pool-compare.sh': '1',
};
function world(dir: string, yaml: string): void {
  mkdirSync(join(dir, 'world'), { recursive: true });
  for (const [, folder = '', name = ''] of yaml.matchAll(/\.\/(scripts|bin)\/([\w.-]+)/g)) {
    mkdirSync(join(dir, folder), { recursive: true });
    const file = join(dir, folder, name);
    const body =
      name === 'flags'
        ? `f="$(dirname "$0")/../world/flags.db"; touch "$f"\ncase "$1" in\n  get) grep "^$2=" "$f" | cut -d= -f2- ;;\n  set) grep -v "^$2=" "$f" > "$f.t"; echo "$2=$3" >> "$f.t"; mv "$f.t" "$f" ;;\n  delete) grep -v "^$2=" "$f" > "$f.t"; mv "$f.t" "$f" ;;\n  list) printf '{'; sep=; while IFS='=' read -r k v; do printf '%s"%s":"%s"' "$sep" "$k" "$v"; sep=,; done < "$f"; printf '}\\n' ;;\nesac\n`
        : `v="$(dirname "$0")/../world/${name}"; if [ -f "$v" ]; then cat "$v"; else echo ${SCRIPT_VALUES[name] ?? 0}; fi\n`;
    writeFileSync(file, `#!/usr/bin/env bash\n${body}`);
    chmodSync(file, 0o755);
  }
}

interface Drive {
  name: string;
  /** The stage driven: it has a gate and a window. */
  stage: number;
  args?: string[];
  env?: () => Promise<Record<string, string>> | Record<string, string>;
  /** Make the next run of the stage breach, and undo that. */
  breach: (dir: string, env: Record<string, string>) => Promise<void> | void;
  heal: (dir: string, env: Record<string, string>) => Promise<void> | void;
  /** Shown in the window while it runs. */
  window: RegExp;
  /**
   * For the breach and Ctrl-C runs: the stage's window (or hold) made long, so
   * a tolerated streak has time to build on a loaded machine and Ctrl-C lands
   * inside it. Both end the window early, so this costs nothing.
   */
  long: string;
}

async function seededDatabase(): Promise<string> {
  const url = await freshDatabase();
  await sql(
    url,
    `CREATE TABLE dataflow_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), payload_text text NOT NULL)`,
  );
  await sql(
    url,
    `INSERT INTO dataflow_events (payload_text, created_at) SELECT json_build_object('kind', 'k' || (i % 7), 'n', i)::text, now() - interval '1 day' FROM generate_series(1, 200) i`,
  );
  return url;
}

function migrateAsync(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1', ...env }, timeout: 120_000 },
      (e, stdout, stderr) => {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

const setFile = (dir: string, name: string, v: string) => writeFileSync(join(dir, 'world', name), `${v}\n`);
const drives: Drive[] = [
  {
    name: 'demo',
    stage: 2,
    window: /left/,
    long: 'hold=5s',
    breach: (dir) =>
      writeFileSync(
        join(dir, 'demo/app-state.json'),
        JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'demo/app-state.json'), 'utf8')), base_error_rate: 0.3 }),
      ),
    heal: (dir) =>
      writeFileSync(
        join(dir, 'demo/app-state.json'),
        JSON.stringify({
          ...JSON.parse(readFileSync(join(dir, 'demo/app-state.json'), 'utf8')),
          base_error_rate: 0.01,
        }),
      ),
  },
  {
    name: 'otp-cleanup',
    stage: 1,
    window: /left/,
    long: 'registry_window=20s',
    breach: (dir) => setFile(dir, 'registry-failures.sh', '5'),
    heal: (dir) => setFile(dir, 'registry-failures.sh', '0'),
  },
  {
    name: 'pool-v2-rollout',
    stage: 2,
    window: /left/,
    long: 'shadow_window=10s',
    breach: () => {
      (service['/pools']?.pool_v2 as Record<string, number>).shadow_mismatches = 3;
    },
    heal: () => {
      (service['/pools']?.pool_v2 as Record<string, number>).shadow_mismatches = 0;
    },
  },
  {
    name: 'process-dictionary',
    stage: 2,
    window: /left/,
    long: 'day_window=10s',
    env: () => ({ GRAFANA_TOKEN: 'grafana-secret-token' }),
    breach: () => {
      (service['/metrics']?.pdict as Record<string, number>).registry_reads = 4;
    },
    heal: () => {
      (service['/metrics']?.pdict as Record<string, number>).registry_reads = 0;
    },
  },
  {
    name: 'dataflow-drop-column',
    stage: 3,
    window: /left/,
    long: 'switch_window=10s',
    env: async () => ({ DATABASE_URL: await seededDatabase() }),
    // A row the reads cannot use: the window's "every row has a payload" check fails.
    breach: (_d, env) =>
      sql(
        env.DATABASE_URL ?? '',
        'ALTER TABLE dataflow_events DISABLE TRIGGER ALL; UPDATE dataflow_events SET payload = NULL WHERE id = 1; ALTER TABLE dataflow_events ENABLE TRIGGER ALL',
      ).then(() => {}),
    heal: (_d, env) =>
      sql(
        env.DATABASE_URL ?? '',
        'ALTER TABLE dataflow_events DISABLE TRIGGER ALL; UPDATE dataflow_events SET payload = payload_text::jsonb WHERE id = 1; ALTER TABLE dataflow_events ENABLE TRIGGER ALL',
      ).then(() => {}),
  },
];

describe('every shipped runbook at a terminal', () => {
  it('covers every runbook shipped in runbooks/', () => {
    const shippedNames = readdirSync(join(ROOT, 'runbooks'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(drives.map((d) => d.name).sort()).toEqual(shippedNames.sort());
  });

  for (const d of drives) {
    it(`${d.name}: breach -> automatic rollback; Ctrl-C -> roll back; gate -> done; emergency rollback`, async () => {
      const { dir, file } = shipped(d.name);
      world(dir, readFileSync(file, 'utf8'));
      const env = { ...(await d.env?.()) };
      const yaml = readFileSync(file, 'utf8');
      // The service's address, for the vars the runbook declares.
      const sets = ['app_url', 'grafana_url']
        .filter((v) => yaml.includes(`  ${v}:`))
        .flatMap((v) => ['--set', `${v}=${http.url}`]);
      const args = ['-r', file, '--env', 'drill', ...sets, ...(d.args ?? [])];
      // Never spawnSync here: the stand-in service answers from this process.
      const run = (more: string[]) => migrateAsync([...args, ...more], dir, env);
      const status = async () => JSON.parse((await run(['status', '--json'])).stdout);
      // The final screen and `status --json` must tell the same story.
      const agree = async (t: Terminal) => expect(await status(), t.screen()).toMatchObject(claimed(t.screen()));
      const answerGate = async (t: Terminal) => {
        await t.see(/\? .*(\(y\/N\)|Type the stage name)/);
        const typed = /Type the stage name \((.+)\)/.exec(t.screen());
        t.keys(typed?.[1] ?? 'y', 'Enter');
      };
      const before = d.stage - 1;
      // The stages below the one driven, applied (again, after the emergency rollback of step 3).
      const applyBelow = async () => {
        if (before === 0) return;
        const extra = d.name === 'dataflow-drop-column' ? ['--set', 'batch_size=100'] : [];
        const up = await run(['up', '--to', String(before), '--yes', ...extra]);
        expect(up.code, up.stdout.slice(-1500) + up.stderr).toBe(0);
      };
      await applyBelow();
      const term = (more: string[], extra: Record<string, string> = {}) =>
        inTerminal(dir, [...args, ...more], { ...env, ...extra });

      // 1. A breach in the window rolls the stage back by itself: exit 1, state as before.
      await d.breach(dir, env);
      const b = term(['stage', String(d.stage), '--set', d.long]);
      await answerGate(b);
      expect(await b.code(60_000), b.all()).toBe(1);
      noCrash(b);
      expect(b.all()).toMatch(/failed and was rolled back/);
      await agree(b);
      expect(await status()).toMatchObject({ current_stage: before, state: 'clean' });
      await d.heal(dir, env);

      // 2. Ctrl-C in the window asks whether to roll back; yes rolls back: exit 130, state as before.
      const c = term(['stage', String(d.stage), '--set', d.long]);
      await answerGate(c);
      await c.see(d.window);
      c.keys('C-c');
      await c.see('Roll the stage back now?');
      c.keys('y', 'Enter');
      expect(await c.code(60_000), c.all()).toBe(130);
      noCrash(c);
      expect(c.screen()).not.toMatch(new RegExp(`rollback stage ${d.stage}: not run`));
      await agree(c);
      expect(await status()).toMatchObject({ current_stage: before, state: 'clean' });

      // 3. An emergency rollback from elsewhere while the stage's window runs here:
      // the run here stops (130) and says why; everything is rolled back.
      const p = term(['stage', String(d.stage), '--set', d.long]);
      await answerGate(p);
      await p.see(d.window);
      const em = await run(['rollback', '--emergency', '--reason', 'drill', '--yes']);
      expect(em.code, em.stdout.slice(-1500) + em.stderr).toBe(0);
      expect(await p.code(60_000), p.all()).toBe(130);
      noCrash(p);
      expect(p.all()).toMatch(/emergency rollback/i);
      // Said once, and the rollback line says who undoes it, not "not run".
      expect(p.all().split('stopped by an emergency rollback').length - 1, p.all()).toBe(1);
      expect(p.all()).toMatch(new RegExp(`rollback stage ${d.stage}: left to the emergency rollback`));
      expect(await status()).toMatchObject({ current_stage: 0, state: 'clean' });
      await applyBelow();

      // 4. Through the gate to the end, in colour as on an operator's terminal: exit 0, the stage is applied.
      const a = term(['stage', String(d.stage)], { NO_COLOR: '' });
      await answerGate(a);
      expect(await a.code(60_000), a.all()).toBe(0);
      noCrash(a);
      // eslint-disable-next-line no-control-regex -- colour is on: the board is styled
      expect(a.styled()).toMatch(/\x1b\[[0-9;]*m/);
      expect(a.screen()).toContain(`stage ${d.stage} completed`);
      await agree(a);
      expect(await status()).toMatchObject({ current_stage: d.stage, state: 'clean' });

      // 5. Emergency rollback, confirmed once at the terminal: back to 0.
      const e = term(['rollback', '--emergency', '--reason', 'drill']);
      await e.see('EMERGENCY');
      e.keys('y', 'Enter');
      expect(await e.code(60_000), e.all()).toBe(0);
      noCrash(e);
      expect(e.screen()).not.toContain('not run');
      expect(e.screen()).toMatch(
        new RegExp(`rolled back stages? ${Array.from({ length: d.stage }, (_, i) => d.stage - i).join(', ')}`),
      );
      await agree(e);
      expect(await status()).toMatchObject({ current_stage: 0, state: 'clean' });
      expect(e.all()).not.toContain('grafana-secret-token');
    }, 240_000);
  }
});
