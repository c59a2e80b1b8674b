// Rollback across irreversible stages, and rollbacks that are killed or interrupted part-way.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const stage = (id: number, extra = '') =>
  `  - id: ${id}\n    name: s${id}\n${extra}    steps:\n      - { id: a${id}, run: "echo do-${id} >> log", undo: "echo undo-${id} >> log" }\n`;
const irreversible = (id: number) =>
  `  - id: ${id}\n    name: s${id}\n    irreversible: true\n    steps:\n      - { id: a${id}, run: "echo do-${id} >> log" }\n`;

describe('irreversible stages', () => {
  it('plain and --to rollback refuse to cross one (exit 2, naming it) and change nothing', () => {
    const box = sandbox(runbook(stage(1) + irreversible(2) + stage(3)));
    expect(box.run(['up']).code).toBe(0);
    const to0 = box.run(['rollback', '--to', '0', '--yes']);
    expect(to0.code).toBe(2);
    expect(to0.stderr).toMatch(/stage 2 \(s2\) is irreversible/);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'do-3']);
    expect(box.status()).toMatchObject({ current_stage: 3, state: 'clean' });
    expect(box.run(['rollback', '--yes']).code).toBe(0); // stage 3 alone is fine
    const plain = box.run(['rollback', '--yes']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/stage 2 \(s2\) is irreversible/);
    expect(box.run(['plan', '--rollback']).code).toBe(2);
    expect(box.status()).toMatchObject({ current_stage: 2, state: 'clean' });
    expect(box.history()[0]?.outcome).not.toBe('failed');
  });

  it('--emergency rolls back everything above the highest irreversible stage, then stops loudly (exit 3)', () => {
    const box = sandbox(runbook(stage(1) + irreversible(2) + stage(3) + stage(4)));
    expect(box.run(['up']).code).toBe(0);
    const r = box.run(['rollback', '--emergency', '--reason', 'error spike', '--yes']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/stopped at stage 2 \(s2\).*irreversible/i);
    expect(r.stderr).toMatch(/stages 1, 2 stay applied/);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'do-3', 'do-4', 'undo-4', 'undo-3']);
    expect(box.status()).toMatchObject({ current_stage: 2, state: 'clean' });
    // Nothing left that an emergency can undo: it says so again, and changes nothing.
    const again = box.run(['rollback', '--emergency', '--reason', 'again', '--yes']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/stages 1, 2 stay applied/);
    expect(box.lines('log')).toHaveLength(6);
  });
});

describe('rollback progress', () => {
  const slowUndo =
    `  - id: 1\n    name: s1\n    steps:\n` +
    `      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n` +
    `      - { id: b, needs: [a], run: "echo b >> log", undo: "echo undo-b >> log; if [ -e slow ]; then touch undoing; sleep 30; fi" }\n` +
    `      - { id: c, needs: [b], run: "echo c >> log", undo: "echo undo-c >> log" }\n`;

  async function killDuringUndo(signal: NodeJS.Signals) {
    const box = sandbox(runbook(slowUndo));
    expect(box.run(['stage', '1']).code).toBe(0);
    writeFileSync(join(box.dir, 'slow'), '');
    const child = box.spawn(['rollback', '--yes']);
    await waitFor(() => box.exists('undoing'));
    child.kill(signal);
    const code = await exited(child);
    unlinkSync(join(box.dir, 'slow'));
    return { box, code };
  }

  it('a killed rollback: status says interrupted (rolling back); the next rollback resumes without repeating a done undo', async () => {
    const { box } = await killDuringUndo('SIGKILL');
    const s = box.status();
    expect(s).toMatchObject({ state: 'interrupted', rolling_back: { stage: 1, undone: ['c'] } });
    expect(box.run(['status']).stdout).toMatch(/rolling back stage 1.*interrupted/);
    expect(box.run(['stage', '2']).code).toBe(2);
    // Half undone is not applied: a script must not read 'nothing to do' as the stage being in place.
    for (const args of [
      ['stage', '1'],
      ['stage', '1', '--resume'],
    ]) {
      const again = box.run(args);
      expect(again.code, again.stdout).toBe(2);
      expect(again.stderr).toMatch(/rollback of stage 1 did not finish/);
    }
    expect(box.run(['plan', '1', '--json']).stdout).toMatch(/"already_applied": ?false/);
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'b', 'c', 'undo-c', 'undo-b', 'undo-b', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0 });
  });

  it('SIGTERM during an undo is an interruption (130, interrupted), not dirty', async () => {
    const { box, code } = await killDuringUndo('SIGTERM');
    expect(code).toBe(130);
    expect(box.status()).toMatchObject({
      state: 'interrupted',
      dirty: null,
      rolling_back: { stage: 1, undone: ['c'] },
    });
    expect(box.history()[0]).toMatchObject({ outcome: 'interrupted' });
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('log').filter((l) => l === 'undo-c')).toHaveLength(1);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0 });
  });

  it('SIGHUP is handled like SIGINT: the step stops, the interruption is journaled, exit 130', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps:\n      - { id: long, run: "touch started; sleep 30", undo: "echo undo >> log" }\n`,
      ),
    );
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    child.kill('SIGHUP');
    expect(await exited(child)).toBe(130);
    expect(box.journal().map((e) => e.event)).toContain('stage.interrupted');
    expect(box.status()).toMatchObject({ state: 'interrupted', active: { in_doubt: ['long'] } });
  });
});
