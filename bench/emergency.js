#!/usr/bin/env node
// How soon `rollback --emergency` starts undoing: from spawning the command
// to the first undo step writing its clock, against `node -e 0` spawned the
// same way (the floor any command pays), median of several runs.
//   node bench/emergency.js [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/migrate.js', import.meta.url));
const runs = Number(process.argv[2] ?? 10);
const env = { ...process.env, CI: '1' };
const stage = (id) => `  - id: ${id}\n    name: s${id}\n    steps:\n      - run: "true"\n        undo: node -e "require('fs').appendFileSync('undo-at', Date.now() + '\\\\n')"\n    monitor: { duration: 1h, checks: [{ name: slow, command: "sleep 5" }] }\n    rollback: [{ pause: 10m }]\n`;

const latencies = [];
const floors = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-emergency-'));
  writeFileSync(join(dir, 'migrate.yaml'), `version: 1\nname: e\nstages:\n${stage(1)}${stage(2)}${stage(3)}`);
  // Apply three stages the fast way: a journal as a real run leaves it (windows of an hour would take too long).
  const mk = (ev, extra) => JSON.stringify({ ts: new Date().toISOString(), run_id: 'r', runbook: 'e', digest: 'd', operator: 'bench', event: ev, ...extra });
  const lines = [];
  for (const s of [1, 2, 3]) lines.push(mk('stage.started', { stage: s }), mk('step.succeeded', { stage: s, step: 'step-1' }), mk('stage.completed', { stage: s }));
  spawnSync('mkdir', ['-p', join(dir, '.migrate')]);
  writeFileSync(join(dir, '.migrate/journal.jsonl'), `${lines.join('\n')}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'rollback', '--emergency', '--reason', 'bench', '--yes'], { cwd: dir, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`rollback exited ${r.status}`);
  const first = Number(readFileSync(join(dir, 'undo-at'), 'utf8').split('\n')[0]);
  latencies.push(first - t0);
  const n0 = Date.now();
  spawnSync(process.execPath, ['-e', `require('fs').writeFileSync('${join(dir, 'floor')}', String(Date.now()))`]);
  floors.push(Number(readFileSync(join(dir, 'floor'), 'utf8')) - n0);
  void n0;
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`emergency rollback, median of ${runs} runs`);
console.log(`  command start -> first undo running   ${median(latencies)} ms (limit 1000 ms)`);
console.log(`  node start -> its first statement      ${median(floors)} ms (the floor)`);
