// Steps run in their own process groups: a kill -9 of migrate leaves them running. Recovery stops them first, and says so.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const pids: number[] = [];
afterEach(() => {
  for (const p of pids.splice(0))
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      /* gone */
    }
});

const slow =
  `  - id: 1\n    name: s1\n    steps:\n` +
  `      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n` +
  `      - { id: b, needs: [a], run: "echo $$ > b.pid; echo b-start >> log; if [ -e slow ]; then touch started; sleep 30; fi; echo b >> log", undo: "echo undo-b >> log" }\n`;

async function killMigrateDuringB() {
  const box = sandbox(runbook(slow), { slow: '' });
  const child = box.spawn(['stage', '1']);
  // The group id is journaled right after the spawn (it is not known before): a kill in between leaves it unjournaled.
  await waitFor(() => box.exists('started') && box.journal().some((e) => e.event === 'step.process' && e.step === 'b'));
  child.kill('SIGKILL');
  await exited(child);
  const shell = Number(box.read('b.pid'));
  pids.push(shell);
  expect(alive(shell)).toBe(true); // the orphan this is about
  return { box, shell };
}

describe('orphaned step processes', () => {
  it("the step journals its process group; rollback stops the dead run's group first and says so", async () => {
    const { box, shell } = await killMigrateDuringB();
    expect(box.journal().find((e) => e.event === 'step.process' && e.step === 'b')).toMatchObject({
      stage: 1,
      pgid: shell,
    });
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/stopped .*step b.*process group/);
    expect(alive(shell)).toBe(false);
    expect(box.lines('log')).toEqual(['a', 'b-start', 'undo-b', 'undo-a']); // b never wrote its last line
  });

  it("--resume stops the dead run's group before running the step again", async () => {
    const { box, shell } = await killMigrateDuringB();
    unlinkSync(join(box.dir, 'slow'));
    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/stopped .*step b/);
    expect(alive(shell)).toBe(false);
    expect(box.lines('log')).toEqual(['a', 'b-start', 'b-start', 'b']);
  });
});
