// Canary visibility: status shows the weight and the hold time left; --resume holds only for what was left.
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const rb = runbook(
  `  - id: 1\n    name: rollout\n    canary:\n      weights: [10, 50]\n      hold: 4s\n      interval: 100ms\n      set: { run: "echo \${weight} > weight", undo: "echo 0 > weight" }\n      checks: [{ name: ok, command: "echo 1", expect: value == 1 }]\n`,
);

describe('an interrupted canary hold', () => {
  it('status shows the weight and the hold time left; --resume holds only for that', async () => {
    const box = sandbox(rb);
    const child = box.spawn(['stage', '1']);
    await waitFor(
      () =>
        box.exists('.migrate/journal.jsonl') &&
        box.journal().some((e) => e.event === 'window.started' && e.window === 'canary:10'),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const live = box.status();
    expect(live.canary).toMatchObject({ stage: 1, weight: 10, hold_ms: 4000, holding: true });
    expect(live.canary?.hold_left_ms).toBeLessThan(4000);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);

    const s = box.status();
    expect(s.canary).toMatchObject({ stage: 1, weight: 10, hold_ms: 4000 });
    expect(s.canary?.hold_left_ms).toBeGreaterThan(0);
    expect(s.canary?.hold_left_ms).toBeLessThan(3000);
    expect(box.run(['status']).stdout).toMatch(/canary: 10%, hold interrupted with [0-9sm]+ left of 4s/);

    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const holds = box
      .journal()
      .filter((e) => e.event === 'window.started')
      .filter((e) => e.window === 'canary:10');
    expect(holds).toHaveLength(2);
    expect(holds[1]?.duration_ms).toBeLessThan(3000);
    expect(holds[1]?.duration_ms).toBeGreaterThan(0);
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean', canary: null });
  });
});
