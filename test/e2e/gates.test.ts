// --yes answers ordinary gates, never a critical stage's typed-name gate: that takes --confirm-stage "<name>".
import { afterEach, describe, expect, it } from 'vitest';
import { runbook, sandbox } from '../helpers/sandbox.js';
import { closeTerminals, inTerminal } from '../helpers/terminal.js';

afterEach(closeTerminals);

const stages =
  `  - id: 1\n    name: Prepare\n    steps: [{ id: p, run: "echo p >> log", undo: "echo undo-p >> log" }]\n` +
  `  - id: 2\n    name: Drop old table\n    risk: critical\n    steps: [{ id: d, run: "echo d >> log", undo: "echo undo-d >> log" }]\n`;

describe('critical gates', () => {
  it('--yes alone does not run a critical stage: exit 5, nothing changed, says to pass --confirm-stage', () => {
    const box = sandbox(runbook(stages));
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    const r = box.run(['stage', '2', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--confirm-stage "Drop old table"');
    expect(box.lines('log')).toEqual(['p']);
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean' });
  });

  it('--confirm-stage with the stage name runs it, journaled as such', () => {
    const box = sandbox(runbook(stages));
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    const r = box.run(['stage', '2', '--confirm-stage', 'Drop old table']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['p', 'd']);
    expect(box.journal().find((e) => e.event === 'gate.answered' && e.stage === 2)).toMatchObject({
      answer: 'yes',
      via: '--confirm-stage',
    });
  });

  it('--confirm-stage with another name does not', () => {
    const box = sandbox(runbook(stages));
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    const r = box.run(['stage', '2', '--yes', '--confirm-stage', 'Prepare']);
    expect(r.code).toBe(5);
    expect(box.lines('log')).toEqual(['p']);
  });

  it('up --yes stops before the critical stage (exit 5); with --confirm-stage it runs it', () => {
    const box = sandbox(runbook(stages));
    const r = box.run(['up', '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--confirm-stage');
    expect(box.lines('log')).toEqual(['p']);
    expect(box.status()).toMatchObject({ current_stage: 1 });
    expect(box.run(['up', '--yes', '--confirm-stage', 'Drop old table']).code).toBe(0);
    expect(box.status()).toMatchObject({ current_stage: 2 });
  });

  it('a mistyped name at a terminal is declined with the name it needed and how to answer (exit 5)', async () => {
    const box = sandbox(runbook(stages));
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    const t = inTerminal(box.dir, ['stage', '2']);
    await t.see('Type the stage name to confirm');
    t.keys('drop old table', 'Enter');
    expect(await t.code()).toBe(5);
    const screen = t.screen().replace(/\n/g, ''); // long lines wrap at the pane's width
    expect(screen).toMatch(/declined: the name typed did not match/);
    expect(screen).toMatch(/not the stage name "Drop old table"/);
    expect(screen).toMatch(/case and spaces count/);
    expect(box.lines('log')).toEqual(['p']);
  });
});
