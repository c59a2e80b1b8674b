#!/usr/bin/env node
// The speed figures of one run, each as a ratio against a baseline measured
// in the same run (so a busy machine moves both sides):
//   1. per-step cost: a stage of 250 chained `true` steps vs 50, per step,
//      against one bare `bash -c true` spawn
//   2. a one-step `stage` vs `status`
//   3. `status` on a ~1M-event journal whose snapshot does not cover it:
//      first and second read, vs bare node
//   4. `validate runbooks/*.yaml` vs bare node
//   node bench/speed.js [--events N] [--runs R] [--only 1,2,3,4]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chain } from './chain.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('--events', 1_000_000);
const RUNS = arg('--runs', 5);
const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1].split(',').map(Number)
  : [1, 2, 3, 4];
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'migrate.js');
const env = { ...process.env, CI: '1', NO_COLOR: '1' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(cmd, args, cwd, ok = [0]) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

/** A fresh dir per run: a stage can run once per journal. */
function stageTime(steps) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-speed-'));
  writeFileSync(join(dir, 'migrate.yaml'), chain(steps));
  const ms = time(process.execPath, [bin, 'stage', '1'], dir);
  const status = time(process.execPath, [bin, 'status'], dir);
  rmSync(dir, { recursive: true, force: true });
  return { ms, status };
}

const out = [];
const say = (s) => {
  console.log(s);
  out.push(s);
};
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
say(`${load()} (2-core machine: compare ratios within one run)`);

// 1 + 2: per-step cost and a one-step stage vs status.
if (only.includes(1) || only.includes(2)) {
  const s50 = [],
    s250 = [],
    bare = [],
    one = [],
    status = [];
  for (let i = 0; i < RUNS; i++) {
    s50.push(stageTime(50).ms);
    s250.push(stageTime(250).ms);
    const o = stageTime(1);
    one.push(o.ms);
    status.push(o.status);
    const t = process.hrtime.bigint();
    for (let k = 0; k < 50; k++) spawnSync('bash', ['-c', 'true'], { stdio: 'ignore' });
    bare.push(Number(process.hrtime.bigint() - t) / 1e6 / 50);
  }
  const perStep = (median(s250) - median(s50)) / 200;
  say(
    `per-step cost (median of ${RUNS}): stage of 50 steps ${median(s50).toFixed(0)} ms, 250 steps ${median(s250).toFixed(0)} ms`,
  );
  say(
    `  marginal ${perStep.toFixed(2)} ms/step; bare bash -c true ${median(bare).toFixed(2)} ms; beyond the spawn ${(perStep - median(bare)).toFixed(2)} ms/step`,
  );
  say(
    `one-step stage ${median(one).toFixed(0)} ms vs status ${median(status).toFixed(0)} ms: ${(median(one) / median(status)).toFixed(2)}x`,
  );
}

// 3: status on a journal its snapshot does not cover.
if (only.includes(3)) {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-speed-status-'));
  writeFileSync(join(dir, 'migrate.yaml'), chain(1));
  time(process.execPath, [bin, 'stage', '1'], dir);
  const journal = join(dir, '.migrate', 'journal.jsonl');
  const real = spawnSync('cat', [journal], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // Grow it by replaying the real run's events under new run ids (stage 1 completing and rolling back).
  const stream = createWriteStream(journal, { flags: 'a' });
  let n = real.length;
  for (let run = 0; n < EVENTS; run++) {
    const run_id = `bench-${run}`;
    for (const e of real) {
      stream.write(`${JSON.stringify({ ...e, run_id })}\n`);
      n++;
    }
    for (const ev of ['rollback.started', 'rollback.completed']) {
      stream.write(`${JSON.stringify({ ...real[0], run_id, event: ev, stage: 1 })}\n`);
      n++;
    }
  }
  await new Promise((r) => stream.end(r));
  const first = time(process.execPath, [bin, 'status'], dir, [0, 6]);
  // On a busy machine the wall time is mostly waiting for a core: the CPU the read used, too (bash's `times`: children's user and sys).
  rmSync(join(dir, '.migrate', 'snapshot.json'));
  const times =
    spawnSync('bash', ['-c', `"$0" "$1" status >/dev/null 2>&1; times`, process.execPath, bin], {
      cwd: dir,
      env,
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n')[1] ?? '';
  const cpu =
    times
      .split(/\s+/)
      .map((t) => {
        const m = /^(\d+)m([\d.]+)s$/.exec(t);
        return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
      })
      .reduce((a, b) => a + b, 0) * 1000;
  // Every read after the first is a "second" one: interleaved with bare node, medians.
  const nodes = [],
    seconds = [];
  for (let i = 0; i < RUNS; i++) {
    nodes.push(time(process.execPath, ['-e', '0'], dir));
    seconds.push(time(process.execPath, [bin, 'status'], dir, [0, 6]));
  }
  const node = median(nodes),
    second = median(seconds);
  say(
    `status on ${n} events, snapshot not covering them: first ${first.toFixed(0)} ms (${(n / first).toFixed(0)}k events/s; again with no snapshot: ${cpu.toFixed(0)} ms CPU, ${(n / cpu).toFixed(0)}k events/CPU-s), second ${second.toFixed(0)} ms (median of ${RUNS})`,
  );
  say(`  bare node ${node.toFixed(0)} ms: second status ${(second / node).toFixed(2)}x node`);
  rmSync(dir, { recursive: true, force: true });
}

// 4: validate the shipped runbooks vs bare node.
if (only.includes(4)) {
  const files = readdirSync(join(root, 'runbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('runbooks', f));
  const v = [],
    node = [];
  for (let i = 0; i < RUNS; i++) {
    v.push(time(process.execPath, [bin, 'validate', ...files], root, [0, 2]));
    node.push(time(process.execPath, ['-e', '0'], root));
  }
  say(
    `validate runbooks/*.yaml ${median(v).toFixed(0)} ms vs node ${median(node).toFixed(0)} ms: ${(median(v) / median(node)).toFixed(2)}x`,
  );
}
say(load());
