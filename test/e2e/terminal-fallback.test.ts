// A rendering failure never ends a run: the live task list gives way to plain
// lines and the run goes on (gates still asked, rollbacks still finished).
// The failure is injected into the real listr2 renderer by a preload
// (test/helpers/render-fault.mjs), at a real terminal.
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { runbook, sandbox, waitFor } from '../helpers/sandbox.js';
import { closeTerminals, crashes, inTerminal, requireTmux } from '../helpers/terminal.js';

beforeAll(requireTmux);
afterEach(closeTerminals);

const fault = (where: string) => ({
  NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/render-fault.mjs')}`,
  RENDER_FAULT: where,
});
const FELL_BACK = 'the live display failed';

const gated = (monitor = 'echo 1') =>
  runbook(
    `  - id: 1\n    name: Enable cache\n    confirm: Enable the cache?\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n` +
      `    monitor: { duration: 1500ms, interval: 100ms, checks: [{ name: ok, command: "${monitor}", expect: value == 1 }] }\n`,
  );

describe('a live display that fails', () => {
  it('on its first frame: the gate is asked on a plain terminal and the stage runs', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1'], fault('start'));
    await t.see(FELL_BACK);
    await t.see('Enable the cache?');
    t.keys('y', 'Enter');
    expect(await t.code(), t.all()).toBe(0);
    expect(crashes(t.all()), t.all()).toEqual([]);
    expect(box.lines('log')).toEqual(['a']);
    expect(t.all()).toContain('stage 1 completed');
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
  });

  it('on its first frame, after work was done: what was done before it failed is still shown', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1', '--yes'], fault('start'));
    expect(await t.code(), t.all()).toBe(0);
    const after = t.all().split(FELL_BACK)[1] ?? '';
    expect(after).toMatch(/gate: Enable the cache\?.*yes/);
    expect(after).toMatch(/✓ a/);
  });

  it('while the gate is open: the question is asked again on a plain terminal', async () => {
    const box = sandbox(gated());
    // About a second of spinner frames: the gate has long been on screen.
    const t = inTerminal(box.dir, ['stage', '1'], fault('update:12'));
    await t.see('Enable the cache?');
    await t.see(FELL_BACK);
    // The question is on screen again, below the fallback notice: the one inside the task list is gone.
    await waitFor(() => t.screen().split(FELL_BACK)[1]?.includes('? Enable the cache? (y/N)') ?? false, 5000);
    t.keys('y', 'Enter');
    expect(await t.code(), t.all()).toBe(0);
    expect(box.lines('log')).toEqual(['a']);
    expect(box.journal().find((e) => e.event === 'gate.answered')).toMatchObject({ answer: 'yes', via: 'prompt' });
  });

  it('during a window that breaches: the automatic rollback still runs to the end, shown as lines', async () => {
    const box = sandbox(gated('echo 0'));
    const t = inTerminal(box.dir, ['stage', '1', '--yes'], fault('update:3'));
    expect(await t.code(), t.all()).toBe(1);
    const all = t.all();
    expect(crashes(all), all).toEqual([]);
    expect(all).toContain(FELL_BACK);
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
    expect(all).toMatch(/failed and was rolled back/);
    // Nothing of the abandoned task list is drawn again after the fallback.
    expect(all.slice(all.indexOf(FELL_BACK))).not.toMatch(/[✔✖↓] /);
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('when it is closed: the stage is still reported as it ended', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1', '--yes'], fault('end'));
    expect(await t.code(), t.all()).toBe(0);
    expect(crashes(t.all()), t.all()).toEqual([]);
    expect(t.all()).toContain('stage 1 completed');
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
  });
});
