// kill -9 of the built binary at random moments, during a stage and during its rollback; then the invariants:
// status names in-doubt steps, rollback undoes exactly completed + in-doubt steps (each once), no orphans remain.
import { describe, expect, it } from 'vitest';
import { alive, exited, runbook, sandbox, type Sandbox } from '../helpers/sandbox.js';

const STEPS = ['s1', 's2', 's3', 's4'];
const yaml = runbook(
  `  - id: 1\n    name: one\n    steps:\n${STEPS.map(
    (s) =>
      `      - { id: ${s}, run: "echo $$ >> pids; echo do-${s} >> ledger; sleep 0.15", undo: "echo $$ >> pids; echo undo-${s} >> ledger; sleep 0.1" }\n`,
  ).join('')}`,
);

async function killAfter(box: Sandbox, args: string[], ms: number): Promise<void> {
  const child = box.spawn(args);
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited(child);
}

const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;
const noOrphans = (box: Sandbox) => expect(box.lines('pids').map(Number).filter(alive)).toEqual([]);

async function stageTrial(delay: number): Promise<void> {
  const box = sandbox(yaml);
  await killAfter(box, ['stage', '1'], delay);
  const s = JSON.parse((await box.runAsync(['status', '--json'])).stdout);
  const ran = STEPS.filter((x) => box.lines('ledger').includes(`do-${x}`));
  const known: string[] = s.active
    ? [...s.active.completed_steps, ...s.active.in_doubt]
    : s.current_stage === 1
      ? STEPS
      : [];
  // Every step that ran is known to the journal, as completed or in doubt.
  expect(
    ran.filter((x) => !known.includes(x)),
    `delay ${delay}`,
  ).toEqual([]);
  const r = await box.runAsync(['rollback', '--yes']);
  expect(r.code, `delay ${delay}: ${r.stderr}`).toBe(0);
  const ledger = box.lines('ledger');
  for (const x of STEPS) expect(count(ledger, `undo-${x}`), `delay ${delay}, ${x}`).toBe(known.includes(x) ? 1 : 0);
  expect(JSON.parse((await box.runAsync(['status', '--json'])).stdout)).toMatchObject({
    state: 'clean',
    current_stage: 0,
  });
  noOrphans(box);
}

async function rollbackTrial(delay: number): Promise<void> {
  const box = sandbox(yaml);
  expect((await box.runAsync(['stage', '1'])).code).toBe(0);
  await killAfter(box, ['rollback', '--yes'], delay);
  const doneBefore = box
    .journal()
    .filter((e) => e.event === 'rollback.step')
    .filter((e) => e.ok)
    .map((e) => e.source);
  const s = JSON.parse((await box.runAsync(['status', '--json'])).stdout);
  if (s.current_stage === 1)
    expect(s.state, `delay ${delay}`).toBe(doneBefore.length || s.rolling_back ? 'interrupted' : 'clean');
  const r = await box.runAsync(['rollback', '--yes']);
  expect([0], `delay ${delay}: ${r.stderr}`).toContain(r.code);
  const ledger = box.lines('ledger');
  for (const x of STEPS) {
    const n = count(ledger, `undo-${x}`);
    // Done per the journal: never again. In flight when killed: may run twice. Otherwise exactly once.
    if (doneBefore.includes(x)) expect(n, `delay ${delay}, ${x}`).toBe(1);
    else expect(n, `delay ${delay}, ${x}`).toBeGreaterThanOrEqual(1);
  }
  expect(STEPS.filter((x) => count(ledger, `undo-${x}`) > 1).length, `delay ${delay}`).toBeLessThanOrEqual(1);
  expect(JSON.parse((await box.runAsync(['status', '--json'])).stdout)).toMatchObject({
    state: 'clean',
    current_stage: 0,
  });
  noOrphans(box);
}

async function inBatches(delays: number[], trial: (d: number) => Promise<void>, width = 5): Promise<void> {
  for (let i = 0; i < delays.length; i += width) await Promise.all(delays.slice(i, i + width).map(trial));
}

// Node starts in ~0.3-1 s here; the four steps take ~0.6 s more: delays cover before, during and after the stage.
const delays = (n: number, from: number, to: number) =>
  Array.from({ length: n }, () => Math.round(from + Math.random() * (to - from)));

// 20 + 10 trials take ~30 s on the shared 2-core machine (50 + 25 ~70 s: KILL_TRIALS=50 for the issue's full loop).
const TRIALS = Number(process.env.KILL_TRIALS ?? 20);

describe('kill -9 at random moments', () => {
  it(`during a stage (${TRIALS} trials)`, async () => {
    await inBatches(delays(TRIALS, 200, 2200), stageTrial, 6);
  }, 240_000);

  it(`during a rollback (${Math.ceil(TRIALS / 2)} trials)`, async () => {
    await inBatches(delays(Math.ceil(TRIALS / 2), 200, 2000), rollbackTrial, 6);
  }, 240_000);
});
