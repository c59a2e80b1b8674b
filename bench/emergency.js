#!/usr/bin/env node
// How soon `rollback --emergency` starts undoing while another run is inside
// a monitor window (it must pre-empt that run first): from spawning the
// command to the first undo step writing its clock. Against `node` spawned
// the same way (the floor any command pays); median and p90 of several runs.
//   npm run build && node bench/emergency.js [runs] [--sql]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/migrate.js', import.meta.url));
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const env = { ...process.env, CI: '1', NO_COLOR: '1' };
const undo = `node -e "require('fs').appendFileSync('undo-at', Date.now() + '\\\\n')"`;
const stage = (id, monitor) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - run: "true"\n        undo: ${undo}\n    rollback: [{ pause: 10m }]\n` +
  (monitor ? `    monitor: { duration: 1h, interval: 1s, checks: [{ name: slow, command: "sleep 0.5" }] }\n` : '');

// --sql: the runbook also has SQL (a later stage, never applied), as most real ones do: loading it must not pay for the SQL lint.
const withSql = process.argv.includes('--sql');
const sqlStage = `  - id: 4\n    name: s4\n    steps:\n      - { sql: "ALTER TABLE t ADD COLUMN c int", undo_sql: "ALTER TABLE t DROP COLUMN IF EXISTS c", database: "postgres://localhost/x" }\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const latencies = [];
const floors = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-emergency-'));
  writeFileSync(
    join(dir, 'migrate.yaml'),
    `version: 1\nname: e\nstages:\n${stage(1, false)}${stage(2, false)}${stage(3, true)}${withSql ? sqlStage : ''}`,
  );
  if (spawnSync(process.execPath, [bin, 'up', '--to', '2'], { cwd: dir, env, stdio: 'ignore' }).status !== 0)
    throw new Error('could not apply stages 1-2');
  // Stage 3 runs its hour-long window in another process: the emergency has to stop it first.
  const holder = spawn(process.execPath, [bin, 'stage', '3'], { cwd: dir, env, stdio: 'ignore' });
  const holderExit = new Promise((r) => holder.on('exit', (code) => r(code)));
  const journal = join(dir, '.migrate/journal.jsonl');
  while (!(existsSync(journal) && readFileSync(journal, 'utf8').includes('"check.sample"'))) await sleep(50);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'rollback', '--emergency', '--reason', 'bench', '--yes'], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`rollback exited ${r.status}: ${r.stderr}`);
  if ((await holderExit) !== 130) throw new Error('the pre-empted run did not exit 130');
  latencies.push(Number(readFileSync(join(dir, 'undo-at'), 'utf8').split('\n')[0]) - t0);
  const n0 = Date.now();
  spawnSync(process.execPath, [
    '-e',
    `require('fs').writeFileSync(${JSON.stringify(join(dir, 'floor'))}, String(Date.now()))`,
  ]);
  floors.push(Number(readFileSync(join(dir, 'floor'), 'utf8')) - n0);
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)];
const [lat, floor] = [median(latencies), median(floors)];
console.log(
  `emergency rollback pre-empting a run in its monitor window${withSql ? ' (runbook with SQL)' : ''}, median of ${runs} runs`,
);
console.log(
  `  command start -> first undo running   ${lat} ms, p90 ${p90(latencies)} ms (goal 2000 ms; all: ${latencies.join(', ')})`,
);
console.log(`  node start -> its first statement      ${floor} ms (the floor)`);
console.log(`  ratio                                  ${(lat / floor).toFixed(1)}x the floor`);
