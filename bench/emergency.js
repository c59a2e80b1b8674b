#!/usr/bin/env node
// How soon `rollback --emergency` starts undoing while another run is inside
// a monitor window (it must pre-empt that run first): from spawning the
// command to the first undo step writing its clock. Against `node` spawned
// the same way (the floor any command pays); median and p90 of several runs.
// --pg: the journal and lock in PostgreSQL (MIGRATE_TEST_DATABASE_URL, else a
// throwaway embedded server): the emergency leaves a request in the holder's
// row, which the holder finds by polling (as from another host), not a signal.
//   npm run build && node bench/emergency.js [runs] [--sql] [--pg]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/migrate.js', import.meta.url));
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const baseEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
const undo = `node -e "require('fs').appendFileSync('undo-at', Date.now() + '\\\\n')"`;
const stage = (id, monitor) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - run: "true"\n        undo: ${undo}\n    rollback: [{ pause: 10m }]\n` +
  (monitor ? `    monitor: { duration: 1h, interval: 1s, checks: [{ name: slow, command: "sleep 0.5" }] }\n` : '');

// --sql: the runbook also has SQL (a later stage, never applied), as most real ones do: loading it must not pay for the SQL lint.
const withSql = process.argv.includes('--sql');
const sqlStage = `  - id: 4\n    name: s4\n    steps:\n      - { sql: "ALTER TABLE t ADD COLUMN c int", undo_sql: "ALTER TABLE t DROP COLUMN IF EXISTS c", database: "postgres://localhost/x" }\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const withPg = process.argv.includes('--pg');
let server = null;
let pg = null;
let serverUrl = process.env.MIGRATE_TEST_DATABASE_URL;
if (withPg) {
  pg = (await import('pg')).default;
  if (!serverUrl) {
    const script = fileURLToPath(new URL('../test/helpers/pg-server.mjs', import.meta.url));
    server = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await once(createInterface({ input: server.stdout }), 'line');
    serverUrl = JSON.parse(line).url;
  }
}
/** A database of its own per run, so every run starts from an empty journal. */
async function freshDatabase(i) {
  const name = `migrate_bench_${process.pid}_${i}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
/** Whether the run in the window has journaled a sample yet. */
async function sampling(dir, url) {
  if (!url) {
    const journal = join(dir, '.migrate/journal.jsonl');
    return existsSync(journal) && readFileSync(journal, 'utf8').includes('"check.sample"');
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c
      .query(`SELECT 1 FROM migrate_journal WHERE event = 'check.sample' LIMIT 1`)
      .catch(() => ({ rowCount: 0 }));
    return r.rowCount > 0;
  } finally {
    await c.end();
  }
}
const latencies = [];
/** --pg: command start -> the holder journaled that it stopped (it found the request by polling). */
const stops = [];
async function interruptedAt(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT ts FROM migrate_journal WHERE event = 'stage.interrupted' ORDER BY id LIMIT 1`);
    return new Date(r.rows[0].ts).getTime();
  } finally {
    await c.end();
  }
}
const floors = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-emergency-'));
  writeFileSync(
    join(dir, 'migrate.yaml'),
    `version: 1\nname: e\nstages:\n${stage(1, false)}${stage(2, false)}${stage(3, true)}${withSql ? sqlStage : ''}`,
  );
  const url = withPg ? await freshDatabase(i) : null;
  const env = url ? { ...baseEnv, MIGRATE_JOURNAL_URL: url } : baseEnv;
  if (spawnSync(process.execPath, [bin, 'up', '--to', '2'], { cwd: dir, env, stdio: 'ignore' }).status !== 0)
    throw new Error('could not apply stages 1-2');
  // Stage 3 runs its hour-long window in another process: the emergency has to stop it first.
  const holder = spawn(process.execPath, [bin, 'stage', '3'], { cwd: dir, env, stdio: 'ignore' });
  const holderExit = new Promise((r) => holder.on('exit', (code) => r(code)));
  while (!(await sampling(dir, url))) await sleep(50);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'rollback', '--emergency', '--reason', 'bench', '--yes'], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`rollback exited ${r.status}: ${r.stderr}`);
  if ((await holderExit) !== 130) throw new Error('the pre-empted run did not exit 130');
  latencies.push(Number(readFileSync(join(dir, 'undo-at'), 'utf8').split('\n')[0]) - t0);
  if (url) stops.push((await interruptedAt(url)) - t0);
  const n0 = Date.now();
  spawnSync(process.execPath, [
    '-e',
    `require('fs').writeFileSync(${JSON.stringify(join(dir, 'floor'))}, String(Date.now()))`,
  ]);
  floors.push(Number(readFileSync(join(dir, 'floor'), 'utf8')) - n0);
  rmSync(dir, { recursive: true, force: true });
}
if (server) {
  server.stdin.end();
  await once(server, 'exit');
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)];
const [lat, floor] = [median(latencies), median(floors)];
console.log(
  `emergency rollback pre-empting a run in its monitor window${withSql ? ' (runbook with SQL)' : ''}${withPg ? ' (PostgreSQL journal: a request the holder polls for)' : ''}, median of ${runs} runs`,
);
console.log(
  `  command start -> first undo running   ${lat} ms, p90 ${p90(latencies)} ms (goal 2000 ms; all: ${latencies.join(', ')})`,
);
if (stops.length)
  console.log(
    `  command start -> the holder stopped     ${median(stops)} ms, p90 ${p90(stops)} ms (it polls every 500 ms; goal: picked up within 1000 ms)`,
  );
console.log(`  node start -> its first statement      ${floor} ms (the floor)`);
console.log(`  ratio                                  ${(lat / floor).toFixed(1)}x the floor`);
