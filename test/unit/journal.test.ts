import {
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
  closeSync,
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventName } from '../../src/journal/events.js';
import { FileJournal } from '../../src/journal/file.js';
import { apply, currentStage, emptyProjection } from '../../src/journal/project.js';
import type { JournalEvent } from '../../src/journal/events.js';
import { tempDir } from '../helpers/cli.js';
import { eventMaker } from '../harness/journal.js';

const ev = eventMaker(1000);

const project = (events: JournalEvent[]) => events.reduce(apply, emptyProjection('rb'));

describe('projection', () => {
  it.each([
    ['nothing', [], 0, null],
    [
      'a completed stage',
      [ev(EventName.StageStarted, { stage: 1 }), ev(EventName.StageCompleted, { stage: 1 })],
      1,
      null,
    ],
    [
      'two, then one rolled back',
      [
        ev(EventName.StageStarted, { stage: 1 }),
        ev(EventName.StageCompleted, { stage: 1 }),
        ev(EventName.StageStarted, { stage: 2 }),
        ev(EventName.StageCompleted, { stage: 2 }),
        ev(EventName.RollbackCompleted, { stage: 2 }),
      ],
      1,
      null,
    ],
    [
      'an interrupted stage',
      [
        ev(EventName.StageStarted, { stage: 1 }),
        ev(EventName.StepSucceeded, { stage: 1, step: 'a' }),
        ev(EventName.StepStarted, { stage: 1, step: 'b' }),
      ],
      0,
      1,
    ],
    [
      'a failed rollback',
      [
        ev(EventName.StageStarted, { stage: 1 }),
        ev(EventName.StageCompleted, { stage: 1 }),
        ev(EventName.RollbackFailed, { stage: 1, reason: 'x' }),
      ],
      0,
      null,
    ],
  ] as const)('%s', (_name, events, current, active) => {
    const p = project([...events]);
    expect(currentStage(p)).toBe(current);
    expect(p.active?.stage ?? null).toBe(active);
  });

  it('remembers completed steps in completion order, for rollback and resume', () => {
    const p = project([
      ev(EventName.StageStarted, { stage: 1 }),
      ev(EventName.StepSucceeded, { stage: 1, step: 'b' }),
      ev(EventName.StepSucceeded, { stage: 1, step: 'a' }),
      ev(EventName.StageCompleted, { stage: 1 }),
    ]);
    expect(p.applied[0]?.completed).toEqual(['b', 'a']);
  });

  it('a dirty stage keeps its steps so a later rollback can retry them', () => {
    const p = project([
      ev(EventName.StageStarted, { stage: 1 }),
      ev(EventName.StepSucceeded, { stage: 1, step: 'a' }),
      ev(EventName.StageCompleted, { stage: 1 }),
      ev(EventName.RollbackFailed, { stage: 1, reason: 'undo a failed' }),
    ]);
    expect(p.dirty).toEqual({ stage: 1, reason: 'undo a failed', completed: ['a'], records: {}, undone: [] });
    expect(
      project([
        ...[
          ev(EventName.StageStarted, { stage: 1 }),
          ev(EventName.StageCompleted, { stage: 1 }),
          ev(EventName.RollbackFailed, { stage: 1 }),
        ],
        ev(EventName.RollbackCompleted, { stage: 1 }),
      ]).dirty,
    ).toBeNull();
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

  it('remembers the stage a read saw before the journal lost it, through later checkpoints', async () => {
    const dir = tempDir();
    const j = new FileJournal(dir);
    await j.append(ev(EventName.StageStarted, { stage: 1 }));
    await j.append(ev(EventName.StageCompleted, { stage: 1 }));
    const afterOne = readFileSync(join(dir, 'journal.jsonl')).length;
    await j.append(ev(EventName.StageStarted, { stage: 2 })); // started, not completed: it has taken effect
    await j.checkpoint();
    await j.close();
    truncateSync(join(dir, 'journal.jsonl'), afterOne);
    const again = new FileJournal(dir);
    const p = await again.project('rb');
    expect([currentStage(p), p.lost?.stage, p.damage?.length]).toEqual([1, 2, 1]);
    await again.append(ev(EventName.Sample, { message: 'x' }));
    await again.checkpoint(); // the snapshot now covers the shorter journal: what was lost is still known
    await again.close();
    expect((await new FileJournal(dir).project('rb')).lost?.stage).toBe(2);
    expect((await new FileJournal(dir).project('other')).lost).toBeUndefined();
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

  /** A journal written by many runs (each stage 1 then its rollback), more than a read saves a snapshot for; never checkpointed. */
  function longJournal(dir: string, runs = 4000): number {
    const lines: string[] = [];
    for (let r = 0; r < runs; r++) {
      for (const [event, extra] of [
        [EventName.RunStarted, { command: 'stage 1' }],
        [EventName.StageStarted, { stage: 1 }],
        [EventName.StepStarted, { stage: 1, step: 'a' }],
        [EventName.StepSucceeded, { stage: 1, step: 'a' }],
        [EventName.StageCompleted, { stage: 1 }],
        [EventName.RunFinished, { outcome: 'succeeded' }],
      ] as const) {
        lines.push(JSON.stringify({ ...ev(event, extra), run_id: `run-${r}` }));
      }
      if (r < runs - 1)
        lines.push(JSON.stringify({ ...ev(EventName.RollbackCompleted, { stage: 1 }), run_id: `run-${r}` }));
    }
    writeFileSync(join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`, { mode: 0o600 });
    return lines.length;
  }

  it('a read that replays a long tail saves it: the next read starts from there', async () => {
    const dir = tempDir();
    const events = longJournal(dir);
    const size = statSync(join(dir, 'journal.jsonl')).size;
    expect(size).toBeGreaterThan(1 << 20);
    const first = await new FileJournal(dir).project('rb');
    expect(currentStage(first)).toBe(1);
    const snap = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
    expect(snap).toMatchObject({ offset: size, lines: events, damage: [] });
    expect(statSync(join(dir, 'snapshot.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['journal.jsonl', 'snapshot.json']);
    // The second read gets the same answer from the snapshot, and a short tail does not rewrite it.
    const before = statSync(join(dir, 'snapshot.json')).mtimeMs;
    appendFileSync(
      join(dir, 'journal.jsonl'),
      `${JSON.stringify({ ...ev(EventName.RollbackCompleted, { stage: 1 }), run_id: 'last' })}\n`,
    );
    const second = await new FileJournal(dir).project('rb');
    expect(currentStage(second)).toBe(0);
    expect({ ...second, applied: first.applied }).toEqual({ ...first, notes: [], damage: [], active: null });
    expect(statSync(join(dir, 'snapshot.json')).mtimeMs).toBe(before);
    // Cut short after the refresh: still noticed.
    writeFileSync(join(dir, 'journal.jsonl'), readFileSync(join(dir, 'journal.jsonl')).subarray(0, size / 2));
    expect((await new FileJournal(dir).project('rb')).damage?.join()).toMatch(/shorter/);
  });

  it('a read where the snapshot cannot be written still answers, and leaves nothing behind', async () => {
    const dir = tempDir();
    longJournal(dir);
    // Where the temp file would go is taken (root writes through any mode).
    mkdirSync(join(dir, `snapshot.json.${process.pid}.tmp`));
    expect(currentStage(await new FileJournal(dir).project('rb'))).toBe(1);
    expect(existsSync(join(dir, 'snapshot.json'))).toBe(false);
    if (process.getuid?.() !== 0) {
      const ro = tempDir();
      longJournal(ro);
      chmodSync(ro, 0o500);
      expect(currentStage(await new FileJournal(ro).project('rb'))).toBe(1);
      expect(readdirSync(ro)).toEqual(['journal.jsonl']);
      chmodSync(ro, 0o700);
    }
  });

  it('a read never creates the state dir', async () => {
    const dir = join(tempDir(), 'state');
    expect(currentStage(await new FileJournal(dir).project('rb'))).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('decodes each chunk right whether or not it is all ASCII (ASCII chunks take a faster decoder)', async () => {
    const dir = tempDir();
    const filler = (n: number) =>
      Array.from({ length: n }, (_, i) => ev(EventName.Sample, { message: `ascii filler ${i} ${'x'.repeat(200)}` }));
    const events = [
      ...filler(6000), // ~1.5 MiB: the first chunk is all ASCII
      ev(EventName.StageStarted, { stage: 1 }),
      ev(EventName.StepSucceeded, { stage: 1, step: 'schritt-ü' }),
      ev(EventName.StepSucceeded, { stage: 1, step: 'étape-€' }),
      ...filler(6000),
      ev(EventName.StepSucceeded, { stage: 1, step: 'plain' }),
      ev(EventName.StageCompleted, { stage: 1 }),
    ];
    writeFileSync(join(dir, 'journal.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const p = await new FileJournal(dir).project('rb');
    expect(p.damage).toEqual([]);
    expect(p.applied.map((a) => a.completed)).toEqual([['schritt-ü', 'étape-€', 'plain']]);
  });

  it('reads lines longer than its buffer, and characters cut by a chunk boundary, whole', async () => {
    const dir = tempDir();
    // 3-byte characters with an odd-length prefix: some straddle every 1 MiB boundary; one line is longer than the buffer.
    const long = `x${'€'.repeat(1_500_000)}`;
    const events = [
      ev(EventName.StageStarted, { stage: 1 }),
      ev(EventName.StepSucceeded, { stage: 1, step: long }),
      ev(EventName.StageCompleted, { stage: 1 }),
      ...Array.from({ length: 3000 }, (_, i) => ev(EventName.Sample, { message: `é${'€'.repeat(i % 500)}` })),
      ev(EventName.StageStarted, { stage: 2 }),
    ];
    writeFileSync(join(dir, 'journal.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"ts":"2026`);
    const p = await new FileJournal(dir).project('rb');
    expect(p.damage).toEqual([]);
    expect(p.applied.map((a) => a.completed)).toEqual([[long]]);
    expect(p.active?.stage).toBe(2);
    const snap = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8'));
    expect(snap).toMatchObject({
      lines: events.length,
      offset: Buffer.byteLength(`${events.map((e) => JSON.stringify(e)).join('\n')}\n`),
    });
  });
});
