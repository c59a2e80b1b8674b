#!/usr/bin/env node
// `migrate status` on a journal of 1,000,000 events, against bare `node -e 0`
// in the same run. The journal is written the way runs write it (many runs of
// a many-step stage, with samples), then one real run checkpoints it.
//   node bench/status.js [events]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/migrate.js', import.meta.url));
const target = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-status-'));
writeFileSync(
  join(dir, 'migrate.yaml'),
  'version: 1\nname: big\nstages:\n  - { id: 1, name: one, steps: [{ run: "true", undo: "true" }] }\n  - { id: 2, name: two, steps: [{ run: "true", undo: "true" }] }\n',
);

// Synthetic history: runs of stage 1 that complete and roll back, each with steps and samples.
const out = createWriteStream(join(dir, 'journal.tmp'));
let n = 0;
let run = 0;
const base = { runbook: 'big', digest: 'x'.repeat(64), operator: 'bench@host' };
const write = (e) => {
  out.write(`${JSON.stringify({ ts: new Date(1_700_000_000_000 + n * 1000).toISOString(), ...base, ...e })}\n`);
  n++;
};
while (n < target - 40) {
  const run_id = `run-${run++}`;
  write({ run_id, event: 'run.started', command: 'stage 1', stages: [1] });
  write({ run_id, event: 'stage.started', stage: 1 });
  for (let i = 0; i < 5; i++) {
    write({ run_id, event: 'step.started', stage: 1, step: `s${i}` });
    write({ run_id, event: 'step.succeeded', stage: 1, step: `s${i}` });
  }
  for (let i = 0; i < 20; i++)
    write({
      run_id,
      event: 'check.sample',
      window: 'monitor',
      check: 'c',
      value: i,
      result: 'passed',
      message: 'c: ok',
    });
  write({ run_id, event: 'stage.completed', stage: 1 });
  write({ run_id, event: 'rollback.started', stage: 1 });
  write({ run_id, event: 'rollback.completed', stage: 1 });
  write({ run_id, event: 'run.finished', outcome: 'succeeded', stages: [1] });
}
await new Promise((r) => out.end(r));
const { renameSync, mkdirSync } = await import('node:fs');
mkdirSync(join(dir, '.migrate'));
renameSync(join(dir, 'journal.tmp'), join(dir, '.migrate', 'journal.jsonl'));
const env = { ...process.env, CI: '1' };
// One real run: appends its events and checkpoints the projection.
const real = spawnSync(process.execPath, [bin, 'stage', '1'], { cwd: dir, env, stdio: 'ignore' });
if (real.status !== 0) throw new Error(`stage 1 exited ${real.status}`);
const size = statSync(join(dir, '.migrate', 'journal.jsonl')).size;

const time = (args) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: dir, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const runs = 20;
const node = [],
  status = [],
  json = [];
for (let i = 0; i < runs + 2; i++) {
  const a = time(['-e', '0']);
  const b = time([bin, 'status']);
  const c = time([bin, 'status', '--json']);
  if (i >= 2) {
    node.push(a);
    status.push(b);
    json.push(c);
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`status on a journal of ${n + 10} events (${(size / 1e6).toFixed(0)} MB), median of ${runs} runs`);
console.log(`  node -e 0              ${median(node).toFixed(1).padStart(7)} ms  1.00x`);
console.log(
  `  migrate status         ${median(status).toFixed(1).padStart(7)} ms  ${(median(status) / median(node)).toFixed(2)}x`,
);
console.log(
  `  migrate status --json  ${median(json).toFixed(1).padStart(7)} ms  ${(median(json) / median(node)).toFixed(2)}x`,
);
rmSync(dir, { recursive: true, force: true });
