// A person at a real terminal (tmux): the live task list and the gates.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runbook, sandbox, waitFor } from '../helpers/sandbox.js';
import { closeTerminals, inTerminal, requireTmux } from '../helpers/terminal.js';

beforeAll(requireTmux);

afterEach(closeTerminals);

const gated = (extra = '') =>
  runbook(
    `  - id: 1\n    name: Enable cache\n${extra}    confirm: Enable the cache?\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n`,
  );

describe('at a terminal', () => {
  it('a declined gate exits 5 and changes nothing', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => t.screen().includes('Enable the cache?'));
    t.keys('n', 'Enter');
    expect(await t.code()).toBe(5);
    expect(box.exists('log')).toBe(false);
    expect(box.journal().find((e) => e.event === 'gate.answered')).toMatchObject({ answer: 'no', via: 'prompt' });
  });

  it('an accepted gate runs the stage, shown as a live task list', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => t.screen().includes('Enable the cache?'));
    expect(t.screen()).toContain('t · stage 1: Enable cache');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(0);
    expect(box.lines('log')).toEqual(['a']);
    const screen = t.screen();
    expect(screen).toMatch(/✔ steps \(1\)/);
    expect(screen).toContain('rollback stage 1: not needed');
    expect(box.journal().find((e) => e.event === 'gate.answered')).toMatchObject({ answer: 'yes', via: 'prompt' });
  });

  it('a critical stage wants its name typed', async () => {
    const box = sandbox(gated('    risk: critical\n'));
    const wrong = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => wrong.screen().includes('Type the stage name'));
    wrong.keys('yes', 'Enter');
    expect(await wrong.code()).toBe(5);
    expect(box.exists('log')).toBe(false);
    const right = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => right.screen().includes('Type the stage name'));
    right.keys('Enable cache', 'Enter');
    expect(await right.code()).toBe(0);
    expect(box.lines('log')).toEqual(['a']);
  });

  it('--yes at a terminal still asks a critical stage for its name', async () => {
    const box = sandbox(gated('    risk: critical\n'));
    const t = inTerminal(box.dir, ['stage', '1', '--yes']);
    await waitFor(() => t.screen().includes('Type the stage name'));
    expect(box.exists('log')).toBe(false);
    t.keys('Enable cache', 'Enter');
    expect(await t.code()).toBe(0);
    expect(box.journal().find((e) => e.event === 'gate.answered')).toMatchObject({ answer: 'yes', via: 'prompt' });
  });
});

describe('Ctrl-C at a terminal', () => {
  it('stops the step, asks whether to roll back, rolls back on yes, exits 130', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: Long\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: long, needs: [a], run: "touch started; sleep 30", undo: "echo undo-long >> log" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => box.exists('started'));
    t.keys('C-c');
    await waitFor(() => t.screen().includes('Roll the stage back now?'));
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(130);
    // The stopped step is in doubt (started, no outcome): its undo runs too.
    expect(box.lines('log')).toEqual(['a', 'undo-long', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0 });
  });

  it('at a breach prompt (on_breach: pause) is an interruption (130), not a rollback', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: Watch\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n    monitor:\n      duration: 30s\n      interval: 100ms\n      on_breach: pause\n      checks: [{ name: bad, command: "echo 9", expect: value < 1 }]\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => t.screen().includes('Continue the window instead of rolling back?'));
    t.keys('C-c');
    await waitFor(() => t.screen().includes('Roll the stage back now?'));
    t.keys('n', 'Enter');
    expect(await t.code()).toBe(130);
    expect(box.lines('log')).toEqual(['a']);
    expect(box.journal().map((e) => e.event)).not.toContain('rollback.started');
  });

  it('at a gate is an interruption (130), not a crash', async () => {
    const box = sandbox(gated());
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => t.screen().includes('Enable the cache?'));
    t.keys('C-c');
    expect(await t.code()).toBe(130);
    expect(t.screen()).not.toContain('internal error');
    expect(box.exists('log')).toBe(false);
  });
});
