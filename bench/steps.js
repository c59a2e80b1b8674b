#!/usr/bin/env node
// Executor overhead per step, fsynced journal included: a stage of 100
// chained `true` steps against 100 bare `bash -c true` spawns, in one run.
//   node bench/steps.js [steps]
// per-step overhead = (t(stage with N steps) - t(stage with 1 step)) / (N-1) - t(one bare spawn)
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chain } from './chain.js';

const bin = fileURLToPath(new URL('../bin/migrate.js', import.meta.url));
const n = Number(process.argv[2] ?? 100);
const runs = 5;

function timeStage(steps) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-bench-'));
  writeFileSync(join(dir, 'migrate.yaml'), chain(steps));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'stage', '1'], {
    cwd: dir,
    env: { ...process.env, CI: '1' },
    stdio: 'ignore',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`stage exited ${r.status}`);
  return ms;
}

async function timeBareSpawns(count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await new Promise((resolve, reject) =>
      spawn('bash', ['-c', 'true'], { stdio: 'ignore', detached: true }).on('exit', resolve).on('error', reject),
    );
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// The same spawn through execa, as the executor makes it (the spec's process library).
const { execa } = await import('execa');
async function timeExecaSpawns(count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++)
    await execa('bash', ['-c', 'true'], { detached: true, reject: false, stdin: 'ignore', buffer: false });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const one = [],
  many = [],
  bare = [],
  viaExeca = [];
for (let i = 0; i < runs; i++) {
  one.push(timeStage(1));
  many.push(timeStage(n));
  bare.push(await timeBareSpawns(n));
  viaExeca.push(await timeExecaSpawns(n));
}
const perStep = (median(many) - median(one)) / (n - 1);
const perSpawn = median(bare) / n;
console.log(`executor, median of ${runs} runs`);
console.log(`  stage with 1 step            ${median(one).toFixed(0).padStart(6)} ms`);
console.log(`  stage with ${n} chained steps  ${median(many).toFixed(0).padStart(6)} ms`);
console.log(`  ${n} bare bash spawns          ${median(bare).toFixed(0).padStart(6)} ms`);
console.log(`  ${n} execa spawns              ${median(viaExeca).toFixed(0).padStart(6)} ms`);
const perExeca = median(viaExeca) / n;
console.log(
  `  per step ${perStep.toFixed(2)} ms; per bare spawn ${perSpawn.toFixed(2)} ms; per execa spawn ${perExeca.toFixed(2)} ms`,
);
console.log(
  `  overhead beyond a bare spawn:  ${(perStep - perSpawn).toFixed(2)} ms/step (${(perStep / perSpawn).toFixed(2)}x)`,
);
console.log(
  `  overhead beyond an execa spawn: ${(perStep - perExeca).toFixed(2)} ms/step (journal fsync, graph, reporting)`,
);
