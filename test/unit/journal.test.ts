import { openSync, readFileSync, writeFileSync, writeSync, closeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventName } from '../../src/journal/events.js';
import { FileJournal } from '../../src/journal/file.js';
import { apply, currentStage, emptyProjection } from '../../src/journal/project.js';
import type { EventFields, JournalEvent } from '../../src/journal/events.js';
import { tempDir } from '../helpers/cli.js';

let t = 0;
// Events as an older or partial writer may leave them: only the fields a test needs.
const ev = <E extends EventName>(event: E, extra: Partial<EventFields[E]> & { runbook?: string } = {}): JournalEvent =>
  ({ ts: new Date(1_700_000_000_000 + t++ * 1000).toISOString(), run_id: 'r1', runbook: 'rb', digest: 'd1', event, operator: 'op', ...extra }) as unknown as JournalEvent;

const project = (events: JournalEvent[]) => events.reduce(apply, emptyProjection('rb'));

describe('projection', () => {
  it.each([
    ['nothing', [], 0, null],
    ['a completed stage', [ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StageCompleted, { stage: 1 })], 1, null],
    ['two, then one rolled back', [ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StageCompleted, { stage: 1 }), ev(EventName.StageStarted, { stage: 2 }), ev(EventName.StageCompleted, { stage: 2 }), ev(EventName.RollbackCompleted, { stage: 2 })], 1, null],
    ['an interrupted stage', [ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StepSucceeded, { stage: 1, step: 'a' }), ev(EventName.StepStarted, { stage: 1, step: 'b' })], 0, 1],
    ['a failed rollback', [ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StageCompleted, { stage: 1 }), ev(EventName.RollbackFailed, { stage: 1, reason: 'x' })], 0, null],
  ] as const)('%s', (_name, events, current, active) => {
    const p = project([...events]);
    expect(currentStage(p)).toBe(current);
    expect(p.active?.stage ?? null).toBe(active);
  });

  it('remembers completed steps in completion order, for rollback and resume', () => {
    const p = project([ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StepSucceeded, { stage: 1, step: 'b' }), ev(EventName.StepSucceeded, { stage: 1, step: 'a' }), ev(EventName.StageCompleted, { stage: 1 })]);
    expect(p.applied[0]?.completed).toEqual(['b', 'a']);
  });

  it('a dirty stage keeps its steps so a later rollback can retry them', () => {
    const p = project([ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StepSucceeded, { stage: 1, step: 'a' }), ev(EventName.StageCompleted, { stage: 1 }), ev(EventName.RollbackFailed, { stage: 1, reason: 'undo a failed' })]);
    expect(p.dirty).toEqual({ stage: 1, reason: 'undo a failed', completed: ['a'], records: {}, undone: [] });
    expect(project([...[ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StageCompleted, { stage: 1 }), ev(EventName.RollbackFailed, { stage: 1 })], ev(EventName.RollbackCompleted, { stage: 1 })]).dirty).toBeNull();
  });
});

describe('file journal', () => {
  it('reads only the tail after a checkpoint', async () => {
    const dir = tempDir();
    const j = new FileJournal(dir);
    await j.append(ev(EventName.StageStarted, { stage: 1 }));
    await j.append(ev(EventName.StageCompleted, { stage: 1 }));
    await j.checkpoint();
    // Overwrite what the snapshot covers (same length): a reader that replays it would see garbage.
    const path = join(dir, 'journal.jsonl');
    const covered = readFileSync(path).length;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(covered, 'x'.charCodeAt(0)), 0, covered - 1, 0);
    closeSync(fd);
    await j.append(ev(EventName.StageStarted, { stage: 2 }));
    await j.append(ev(EventName.StageCompleted, { stage: 2 }));
    expect(currentStage(await j.project('rb'))).toBe(2);
    await j.close();
  });

  it('rebuilds when the snapshot covers more than the journal holds', async () => {
    const dir = tempDir();
    const j = new FileJournal(dir);
    await j.append(ev(EventName.StageStarted, { stage: 1 }));
    await j.append(ev(EventName.StageCompleted, { stage: 1 }));
    await j.checkpoint();
    await j.close();
    writeFileSync(join(dir, 'journal.jsonl'), '');
    expect(currentStage(await new FileJournal(dir).project('rb'))).toBe(0);
  });

  it('ignores a torn last line and cuts it before the next append', async () => {
    const dir = tempDir();
    const j = new FileJournal(dir);
    await j.append(ev(EventName.StageStarted, { stage: 1 }));
    await j.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"ts":"2026');
    const again = new FileJournal(dir);
    expect((await again.project('rb')).active?.stage).toBe(1);
    await again.append(ev(EventName.StageCompleted, { stage: 1 }));
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['stage.started', 'stage.completed']);
    expect(currentStage(await again.project('rb'))).toBe(1);
  });

  it('keeps runbooks apart', async () => {
    const j = new FileJournal(tempDir());
    await j.append(ev(EventName.StageStarted, { stage: 1 }));
    await j.append(ev(EventName.StageCompleted, { stage: 1, runbook: 'other' }));
    expect(currentStage(await j.project('rb'))).toBe(0);
    expect((await j.project('other')).applied.map((a) => a.stage)).toEqual([1]);
  });
});
