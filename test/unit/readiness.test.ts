// The decisions `plan`, `stage --dry-run`, `status` and the engine share (plan/readiness.ts).
import { describe, expect, it } from 'vitest';
import { EventName, type JournalEvent } from '../../src/journal/events.js';
import { apply, emptyProjection } from '../../src/journal/project.js';
import { alreadyApplied, drift, driftNote, liveHolder, readiness } from '../../src/plan/readiness.js';
import { eventMaker } from '../harness/journal.js';

const ev = eventMaker(1);
const project = (events: JournalEvent[]) => events.reduce(apply, emptyProjection('rb'));
const done = (stage: number, digest = 'd1') => [
  ev(EventName.StageStarted, { stage }),
  ev(EventName.StageCompleted, { stage, digest }),
];
const holder = { pid: 12, host: 'db1', operator: 'bob@ops', since: '2026-01-01T00:00:00Z' };

describe('readiness', () => {
  it.each([
    ['nothing ran', [], 1, false],
    ['stage 1 applied', done(1), 1, true],
    ['stage 2 applied, asking for 1', [...done(1), ...done(2)], 1, true],
    ['stage 1 applied, asking for 2', done(1), 2, false],
    ['stage 2 half-done', [...done(1), ev(EventName.StageStarted, { stage: 2 })], 1, false],
    ['stage 1 half rolled back', [...done(1), ev(EventName.RollbackStarted, { stage: 1, to: 0 })], 1, false],
  ] as const)('already applied: %s', (_name, events, n, expected) => {
    expect(alreadyApplied(project([...events]), n)).toBe(expected);
  });

  it('drift lists the applied stages another runbook digest ran', () => {
    const p = project([...done(1, 'old'), ...done(2, 'd1')]);
    expect(drift(p, 'd1')).toEqual([1]);
    expect(driftNote([1, 3])).toBe('the runbook changed since stage(s) 1, 3 ran');
  });

  it('names the refusal and the live lock holder; an applied stage is not refused', () => {
    const fresh = readiness(project([]), holder, 2, 'd1');
    expect(fresh.blockers).toEqual([
      'stage 2 needs stage 1 first (current stage is 0)',
      'the lock is held by bob@ops (pid 12 on db1, since 2026-01-01T00:00:00Z)',
    ]);
    expect(fresh.block?.message).toBe(fresh.blockers[0]);
    expect(readiness(project(done(1)), null, 1, 'd1')).toMatchObject({
      current_stage: 1,
      already_applied: true,
      block: null,
      blockers: [],
      drift: [],
    });
  });

  it('a half-done stage blocks unless resumed', () => {
    const p = project([ev(EventName.StageStarted, { stage: 1 })]);
    expect(readiness(p, null, 1, 'd1').block?.message).toContain('stage 1 did not finish');
    expect(readiness(p, null, 1, 'd1', true).block).toBeNull();
  });

  it('a lock whose holder is proven gone has no live holder', () => {
    expect(liveHolder(holder)).toBe(holder);
    expect(liveHolder({ ...holder, stale: true })).toBeNull();
    expect(liveHolder(null)).toBeNull();
  });
});
