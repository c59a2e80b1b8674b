// History tells the truth: reasons, killed runs, refused commands.
import { appendFileSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTerminals, inTerminal } from '../helpers/terminal.js';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const stage = (id: number) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - { id: a${id}, run: "echo do-${id} >> log; if [ -e slow ]; then touch started; sleep 30; fi", undo: "echo undo-${id} >> log" }\n`;

describe('history', () => {
  it.each([
    ['a command that is not text', { command: 99 }],
    ['an operator that is not text', { operator: { a: 1 } }],
    ['a reason that is not text', { event: 'run.finished', outcome: 'failed', reason: 7 }],
    ['stages that are not a list', { stages: 'x' }],
  ])('a run event with %s is damage, named by its line; history still shows the other runs', (_name, patch) => {
    const box = sandbox(runbook(stage(1)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = `${box.dir}/.migrate/journal.jsonl`;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const start = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(start.event).toBe('run.started');
    appendFileSync(file, `${JSON.stringify({ ...start, run_id: 'r-bad', ...patch })}\n`);
    for (const args of [['history'], ['history', '--json'], ['status']]) {
      const r = box.run(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`journal\\.jsonl:${lines.length + 1} is not an event`));
    }
    expect(box.history()).toHaveLength(1);
    expect(box.run(['history']).stdout).toContain('stage 1');
  });

  it("shows an emergency rollback's --reason", () => {
    const box = sandbox(runbook(stage(1)));
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.run(['rollback', '--emergency', '--reason', 'error spike', '--yes']).code).toBe(0);
    expect(box.history()[0]).toMatchObject({
      command: 'rollback --emergency',
      outcome: 'succeeded',
      reason: 'error spike',
    });
    expect(box.run(['history']).stdout).toContain('error spike');
  });

  it('keeps the --reason of an emergency that stops (at an irreversible stage), beside why it stopped', () => {
    const irr = `  - id: 1\n    name: s1\n    irreversible: true\n    steps: [{ id: a1, run: "true" }]\n`;
    const box = sandbox(runbook(irr + stage(2)));
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    expect(box.run(['stage', '2', '--yes']).code).toBe(0);
    expect(box.run(['rollback', '--emergency', '--reason', 'error spike', '--yes']).code).toBe(3);
    const run = box.history()[0] as { reason: string };
    expect(run.reason).toContain('error spike');
    expect(run.reason).toMatch(/irreversible/);
    expect(box.run(['history']).stdout).toContain('error spike');
  });

  it("a kill -9'd run is interrupted once its lock holder is gone, not running forever", async () => {
    const box = sandbox(runbook(stage(1)), { slow: '' });
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    expect(box.history()[0]?.outcome).toBeNull(); // running now
    child.kill('SIGKILL');
    await exited(child);
    expect(box.history()[0]).toMatchObject({ command: 'stage 1', outcome: 'interrupted' });
    expect(box.status().last_run).toMatchObject({ outcome: 'interrupted' });
    expect(box.run(['history']).stdout).toContain('interrupted');
  });

  it('a refused command is not a failed run', () => {
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const r = box.run(['stage', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stage 3 needs stage 2 first');
    expect(box.history().filter((h) => h.outcome === 'failed')).toEqual([]);
  });

  describe('at a terminal', () => {
    afterEach(closeTerminals);
    it('the rollback answered after Ctrl-C is named as such, not as a rollback --to the operator never typed', async () => {
      const windowed = `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n    monitor: { duration: 30s, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`;
      const box = sandbox(runbook(windowed));
      const t = inTerminal(box.dir, ['stage', '1']);
      await t.see('left');
      t.keys('C-c');
      await t.see('Roll the stage back now?');
      t.keys('y', 'Enter');
      expect(await t.code()).toBe(130);
      expect(box.lines('log')).toEqual(['a', 'undo-a']);
      const runs = box.history().map((r) => [r.command, r.outcome]);
      expect(runs).toEqual([
        ['rollback after Ctrl-C', 'succeeded'],
        ['stage 1', 'interrupted'],
      ]);
    });
  });
});
