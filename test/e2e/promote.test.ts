// `migrate promote` ends a running canary hold early, journaled with the operator and reason (issue 9 item 11).
import { describe, expect, it } from 'vitest';
import { freshDatabase, sql } from '../helpers/pg.js';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

/** Two weights, each held for an hour: without promote the stage would take two hours. */
const canary = runbook(
  `  - id: 1\n    name: rollout\n    canary:\n      weights: [10, 50]\n      hold: 1h\n      interval: 200ms\n` +
    `      set: { run: "echo \${weight} >> weights", undo: "echo 0 >> weights" }\n` +
    `      checks: [{ name: ok, command: "echo 1", expect: value == 1 }]\n`,
);

const holding = (events: () => { event?: unknown; window?: unknown }[], weight: number) => () =>
  events().some((e) => e.event === 'check.sample' && e.window === `canary:${weight}`);

describe('migrate promote', () => {
  it('file journal: ends each hold early; the running stage goes on to the next weight, then completes', async () => {
    const box = sandbox(canary);
    const run = box.spawn(['stage', '1']);
    const code = exited(run);
    await waitFor(() => box.exists('.migrate/journal.jsonl') && holding(() => box.journal(), 10)(), 20_000);

    const first = box.run(['promote', '--reason', 'dashboards look good', '--yes']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/promoted stage 1's canary past 10%/);
    const promoted = box.journal().filter((e) => e.event === 'canary.promoted');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({
      stage: 1,
      weight: 10,
      reason: 'dashboards look good',
      promoted_by: expect.stringContaining('@'),
    });
    expect(promoted[0]?.hold_left_ms).toBeGreaterThan(3_500_000);
    await waitFor(
      holding(() => box.journal(), 50),
      20_000,
    );
    expect(box.status().canary).toMatchObject({ stage: 1, weight: 50, holding: true });

    const last = box.run(['promote', '--reason', 'still good', '--yes']);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect(await code).toBe(0);
    expect(box.lines('weights')).toEqual(['10', '50']);
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean' });
    // history keeps the promotions in the run's journal; the run itself succeeded.
    expect(box.history()[0]).toMatchObject({ command: 'stage 1', outcome: 'succeeded' });
  });

  it('nothing to promote: no run, or a run that is not holding a canary (exit 2, says why)', async () => {
    const idle = sandbox(canary);
    const none = idle.run(['promote', '--reason', 'x', '--yes']);
    expect(none.code, none.stdout + none.stderr).toBe(2);
    expect(none.stderr).toMatch(/nothing to promote: no stage is running/);

    const monitor = sandbox(
      runbook(
        `  - id: 1\n    name: watched\n    steps: [{ run: "true", undo: "true" }]\n` +
          `    monitor: { duration: 1h, interval: 200ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      ),
    );
    const run = monitor.spawn(['stage', '1']);
    await waitFor(
      () => monitor.exists('.migrate/journal.jsonl') && monitor.journal().some((e) => e.event === 'check.sample'),
      20_000,
    );
    const r = monitor.run(['promote', '--reason', 'x', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/nothing to promote: stage 1 is running but not holding a canary weight/);
    run.kill('SIGINT');
    expect(await exited(run)).toBe(130);
    expect(monitor.journal().some((e) => e.event === 'canary.promoted')).toBe(false);
  });

  it('needs --reason, and --yes (or an answer) to end a hold', async () => {
    const box = sandbox(canary);
    const run = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('.migrate/journal.jsonl') && holding(() => box.journal(), 10)(), 20_000);
    const noReason = box.run(['promote', '--yes']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    const noYes = box.run(['promote', '--reason', 'x']);
    expect(noYes.code).toBe(5);
    expect(box.journal().some((e) => e.event === 'canary.promoted')).toBe(false);
    run.kill('SIGINT');
    expect(await exited(run)).toBe(130);
  });

  it('PostgreSQL journal (another host): a promote request the holder picks up', async () => {
    const url = await freshDatabase();
    const env = { MIGRATE_JOURNAL_URL: url };
    const alice = sandbox(canary);
    const bob = sandbox(canary);
    const run = alice.spawn(['stage', '1'], env);
    const code = exited(run);
    const events = async (name: string) =>
      (
        await sql<{ body: Record<string, unknown> }>(
          url,
          'SELECT body FROM migrate_journal WHERE event = $1 ORDER BY id',
          [name],
        ).catch(() => [])
      ).map((r) => r.body);
    const sampled = async (weight: number) =>
      (await events('check.sample')).some((e) => e.window === `canary:${weight}`);
    for (const weight of [10, 50]) {
      const end = Date.now() + 20_000;
      while (!(await sampled(weight))) {
        if (Date.now() > end) throw new Error(`the hold at ${weight}% never started`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = bob.run(['promote', '--reason', `ok at ${weight}`, '--yes'], env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect(await code).toBe(0);
    expect((await events('canary.promoted')).map((e) => [e.weight, e.reason])).toEqual([
      [10, 'ok at 10'],
      [50, 'ok at 50'],
    ]);
    expect(alice.lines('weights')).toEqual(['10', '50']);
  });
});
