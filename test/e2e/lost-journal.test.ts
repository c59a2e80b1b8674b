// A journal cut back at every line of a real run: a rollback either undoes
// everything that ran, each once and in order, or refuses and undoes nothing.
// Never a stage undone under one still applied, never an undo run twice.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook, sandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const book = runbook(
  `  - id: 1\n    name: s1\n    steps:\n      - { id: a1, run: "echo do-a1 >> ledger", undo: "echo undo-a1 >> ledger" }\n` +
    `  - id: 2\n    name: s2\n    steps:\n      - { id: b1, run: "echo do-b1 >> ledger", undo: "echo undo-b1 >> ledger" }\n` +
    `      - { id: b2, run: "echo do-b2 >> ledger", undo: "echo undo-b2 >> ledger" }\n`,
);
const DONE = ['do-a1', 'do-b1', 'do-b2'];
const ALL_UNDONE = [...DONE, 'undo-b2', 'undo-b1', 'undo-a1'];

describe('a journal cut back at every line', () => {
  it('rollback --to 0 undoes all of it once, in order, or refuses and undoes nothing', () => {
    const master = sandbox(book);
    expect(master.run(['up', '--to', '2']).code).toBe(0);
    expect(master.lines('ledger')).toEqual(DONE);
    const lines = readFileSync(join(master.dir, '.migrate/journal.jsonl'), 'utf8').trimEnd().split('\n');
    const outcomes: string[] = [];
    for (let n = 0; n <= lines.length; n++) {
      const box = sandbox(book);
      mkdirSync(join(box.dir, '.migrate'));
      copyFileSync(join(master.dir, '.migrate/snapshot.json'), join(box.dir, '.migrate/snapshot.json'));
      writeFileSync(
        join(box.dir, '.migrate/journal.jsonl'),
        lines
          .slice(0, n)
          .map((l) => `${l}\n`)
          .join(''),
      );
      writeFileSync(join(box.dir, 'ledger'), DONE.map((l) => `${l}\n`).join(''));
      const r = box.run(['rollback', '--to', '0', '--yes']);
      const ledger = box.lines('ledger');
      const what = `cut after line ${n} (${n ? JSON.parse(lines[n - 1]!).event : 'empty'}): exit ${r.code}`;
      outcomes.push(what);
      if (r.code === 0) expect(ledger, `${what}\n${r.stderr}`).toEqual(ALL_UNDONE);
      else {
        expect(r.code, `${what}\n${r.stderr}`).toBe(6);
        expect(ledger, what).toEqual(DONE);
      }
    }
    // The whole journal (no cut) is an ordinary rollback.
    expect(outcomes.at(-1)).toMatch(/exit 0$/);
  });
});

describe('a journal that lost events after a kill (third review)', () => {
  // Each step and undo can be held open by a file named slow.<step> or slow.undo-<step>.
  const slow = (id: string) =>
    `{ id: ${id}, run: "echo do-${id} >> ledger; while [ -e slow.${id} ]; do sleep 0.05; done", undo: "echo undo-${id} >> ledger; while [ -e slow.undo-${id} ]; do sleep 0.05; done" }`;
  const killed = runbook(
    `  - id: 1\n    name: s1\n    steps:\n      - ${slow('a1')}\n  - id: 2\n    name: s2\n    steps:\n      - ${slow('b1')}\n      - ${slow('b2')}\n`,
  );
  const file = (box: Sandbox) => join(box.dir, '.migrate/journal.jsonl');
  const killWhile = async (box: Sandbox, args: string[], hold: string, started: string) => {
    writeFileSync(join(box.dir, hold), '');
    const child = box.spawn(args);
    await waitFor(() => box.lines('ledger').includes(started));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  };

  it('a journal restored whole after a cut settles the loss, though it holds more than the last save', async () => {
    const box = sandbox(killed);
    expect(box.run(['stage', '1']).code).toBe(0);
    await killWhile(box, ['stage', '2'], 'slow.b2', 'do-b2'); // the save at stage 2's start covers less than the journal
    const whole = readFileSync(file(box), 'utf8');
    writeFileSync(
      file(box),
      whole
        .split('\n')
        .slice(0, 3)
        .map((l) => `${l}\n`)
        .join(''),
    );
    expect(box.run(['rollback', '--yes']).code).toBe(6);
    writeFileSync(file(box), whole); // the original, byte for byte
    const r = box.run(['rollback', '--to', '0', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('ledger')).toEqual(['do-a1', 'do-b1', 'do-b2', 'undo-b2', 'undo-b1', 'undo-a1']);
  });

  it('a journal cut back to before a rollback that a kill stopped is noticed: its undos are not run again', async () => {
    const box = sandbox(killed);
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const before = readFileSync(file(box), 'utf8');
    await killWhile(box, ['rollback', '--to', '0', '--yes'], 'slow.undo-a1', 'undo-a1');
    writeFileSync(file(box), before); // a backup from before the rollback
    const r = box.run(['rollback', '--to', '0', '--yes']);
    // The killed run's undo is still holding: the refused rollback stops nothing, so the test lets it go.
    rmSync(join(box.dir, 'slow.undo-a1'));
    expect(r.code, r.stderr).toBe(6);
    expect(box.lines('ledger')).toEqual(['do-a1', 'do-b1', 'do-b2', 'undo-b2', 'undo-b1', 'undo-a1']);
  });
});
