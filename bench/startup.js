#!/usr/bin/env node
// Whole-process start-up timings, each against bare `node -e 0` measured in
// the same run, reported as ratios (medians of interleaved runs).
//   node bench/startup.js [runs]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 30);
const runbooks = readdirSync(`${root}/runbooks`)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `runbooks/${f}`);
const cases = {
  'node -e 0': ['-e', '0'],
  'migrate --version': ['bin/migrate.js', '--version'],
  'migrate validate runbooks/*.yaml': ['bin/migrate.js', 'validate', ...runbooks],
  'migrate plan 2 --json': ['bin/migrate.js', '-r', 'runbooks/otp-cleanup.yaml', 'plan', '2', '--json'],
};

const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs + 3; i++) {
  for (const [name, args] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    if (i >= 3) times[name].push(ms); // the first runs warm the file cache
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['node -e 0']);
console.log(`start-up, median of ${runs} runs (ratio to bare node in the same run)`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(34)} ${median(xs).toFixed(1).padStart(7)} ms  ${(median(xs) / base).toFixed(2)}x`);
}
