// After an interrupted rollback the operator is told which undo was running and the exact next command (finding F7).
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

/** Step b's undo takes a while the first time: the interrupt lands while it runs. */
const slowUndo = runbook(
  `  - id: 1\n    name: first\n    steps:\n` +
    `      - { id: a, run: "echo do-a >> log", undo: "echo undo-a >> log" }\n` +
    `      - { id: b, run: "echo do-b >> log", undo: "if [ ! -e undoing ]; then touch undoing; sleep 30; fi; echo undo-b >> log" }\n`,
);

/** Step b fails, so the stage rolls itself back; a's undo is slow. */
const failing = runbook(
  `  - id: 1\n    name: first\n    steps:\n` +
    `      - { id: a, run: "echo do-a >> log", undo: "touch undoing; sleep 30; echo undo-a >> log" }\n` +
    `      - { id: b, run: "exit 3", undo: "echo undo-b >> log" }\n`,
);

async function interruptWhileUndoing(box: ReturnType<typeof sandbox>, args: string[]) {
  const child = box.spawn(args);
  let stderr = '';
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  const code = exited(child);
  await waitFor(() => box.exists('undoing'), 20_000);
  child.kill('SIGINT');
  return { code: await code, stderr };
}

describe('an interrupted rollback', () => {
  it('plain rollback: the last line names the stage and the undo in doubt and says to run rollback; status names it too', async () => {
    const box = sandbox(slowUndo);
    expect(box.run(['stage', '1']).code).toBe(0);
    const r = await interruptWhileUndoing(box, ['rollback', '--yes']);
    expect(r.code).toBe(130);
    const lines = r.stderr.trim().split('\n');
    expect(lines.join('\n')).toMatch(/error: .*rolling back stage 1.*undo b/);
    expect(lines.at(-1)).toMatch(/migrate rollback/);
    expect(r.stderr).not.toMatch(/--resume/);

    const s = box.status();
    expect(s).toMatchObject({ state: 'interrupted', rolling_back: { stage: 1, in_doubt: 'b' } });
    const text = box.run(['status']).stdout;
    expect(text).toMatch(/in doubt.*undo b/);
    expect(text).toMatch(/migrate rollback/);
    expect(text).not.toMatch(/--resume/);

    const again = box.run(['rollback', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-a', 'do-b', 'undo-b', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'clean', rolling_back: null });
  });

  it("a stage's own rollback, interrupted: no --resume hint (the stage is half undone); says to run rollback", async () => {
    const box = sandbox(failing);
    const r = await interruptWhileUndoing(box, ['stage', '1']);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/rolling back stage 1.*undo a/);
    expect(r.stderr).not.toMatch(/--resume/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/migrate rollback/);
    expect(box.status()).toMatchObject({ state: 'interrupted', rolling_back: { stage: 1, in_doubt: 'a' } });
  });

  it('an interrupted emergency says to run the emergency again (a plain rollback would stop at a failing undo and wait at pauses)', async () => {
    const box = sandbox(slowUndo);
    expect(box.run(['stage', '1']).code).toBe(0);
    const r = await interruptWhileUndoing(box, ['rollback', '--emergency', '--reason', 'spike', '--yes']);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/rolling back stage 1.*undo b/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/migrate rollback --emergency --reason/);
    expect(box.status()).toMatchObject({
      state: 'interrupted',
      rolling_back: { stage: 1, emergency: true, in_doubt: 'b' },
    });
  });
});
