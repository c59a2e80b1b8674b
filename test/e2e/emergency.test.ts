// `rollback --emergency` pre-empts a running stage: same host by a signal, PostgreSQL journal by an abort request.
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/pg.js';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

/** Stage 1 is applied; stage 2 changes something and then watches a window of an hour. */
const rb = runbook(
  `  - id: 1\n    name: first\n    steps:\n      - { run: "echo do-1 >> log", undo: "echo undo-1 >> log" }\n` +
    `  - id: 2\n    name: watched\n    steps:\n      - { run: "echo do-2 >> log", undo: "echo undo-2 >> log" }\n` +
    `    monitor:\n      duration: 1h\n      interval: 1s\n      checks:\n        - { name: slow probe, command: "sleep 0.5", expect: "exit_code == 0" }\n`,
);

async function windowRunning(events: () => { event?: unknown }[]): Promise<void> {
  await waitFor(() => events().some((e) => e.event === 'check.sample'), 20_000);
}

describe('rollback --emergency while a stage runs', () => {
  it('same host: signals the holder, which journals the interruption and lets go; everything is rolled back', async () => {
    const box = sandbox(rb);
    expect(box.run(['stage', '1']).code).toBe(0);
    const holder = box.spawn(['stage', '2']);
    const holderExit = exited(holder);
    await windowRunning(() => box.journal());
    const t0 = Date.now();
    const r = box.run(['rollback', '--emergency', '--reason', 'error spike', '--yes']);
    const took = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(await holderExit).toBe(130);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'undo-2', 'undo-1']);
    const stopped = box.journal().find((e) => e.event === 'stage.interrupted');
    expect(stopped).toMatchObject({ stage: 2, preempted: true });
    expect(stopped?.reason).toMatch(/emergency rollback by .*: error spike/);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0, lock: null });
    expect(took).toBeLessThan(8_000); // the 2 s goal is measured by bench/emergency.js on a quiet machine
  });

  it('PostgreSQL journal (another host): an abort request the holder picks up; then everything is rolled back', async () => {
    const env = { MIGRATE_JOURNAL_URL: await freshDatabase() };
    const alice = sandbox(rb);
    const bob = sandbox(rb);
    expect(alice.run(['stage', '1'], env).code).toBe(0);
    const holder = alice.spawn(['stage', '2'], env);
    const holderExit = exited(holder);
    await waitFor(() => alice.lines('log').includes('do-2'), 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // the window is sampling
    const r = bob.run(['rollback', '--emergency', '--reason', 'error spike', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await holderExit).toBe(130);
    // Bob's undo steps ran in Bob's directory: the runbook's steps are his to run now.
    expect(bob.lines('log')).toEqual(['undo-2', 'undo-1']);
    const history = JSON.parse(bob.run(['history', '--json'], env).stdout);
    expect(history[0]).toMatchObject({ command: 'rollback --emergency', outcome: 'succeeded' });
    expect(history[1]).toMatchObject({ command: 'stage 2', outcome: 'interrupted' });
    expect(JSON.parse(bob.run(['status', '--json'], env).stdout)).toMatchObject({
      state: 'clean',
      current_stage: 0,
      lock: null,
    });
  });
});
