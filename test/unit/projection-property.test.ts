// Property: for a kill at any event, the projection's completed, in-doubt and rolled-back sets are what the
// journal prefix says, and the rollback plan after the crash undoes exactly completed + in-doubt steps, each once.
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { EventName } from '../../src/journal/events.js';
import { apply, emptyProjection } from '../../src/journal/project.js';
import type { EventFields, JournalEvent } from '../../src/journal/events.js';
import { planRollback } from '../../src/plan/readiness.js';
import { rollbackActions } from '../../src/plan/rollback.js';
import type { Runbook } from '../../src/runbook/types.js';

const STEPS = ['s1', 's2', 's3', 's4', 's5'];
const runbook = {
  version: 1,
  name: 'rb',
  stages: [{ id: 1, name: 'one', steps: STEPS.map((id) => ({ id, run: `do ${id}`, undo: `undo ${id}` })) }],
} as unknown as Runbook;

let t = 0;
// Events with only the fields the projection needs.
const ev = <E extends EventName>(event: E, run: string, extra: Partial<EventFields[E]> = {}): JournalEvent =>
  ({
    ts: new Date(1_700_000_000_000 + t++).toISOString(),
    run_id: run,
    runbook: 'rb',
    digest: 'd',
    event,
    operator: 'op',
    ...extra,
  }) as unknown as JournalEvent;

/** A stage's events: every step starts before it succeeds, steps interleave in a random order (parallel steps). */
const stageEvents = fc.array(fc.nat(), { minLength: STEPS.length * 2, maxLength: STEPS.length * 2 }).map((prio) => {
  const moves = STEPS.flatMap((s, i) => [
    { s, kind: 'start' as const, p: prio[2 * i]! },
    { s, kind: 'ok' as const, p: prio[2 * i + 1]! },
  ]);
  const order = [...moves].sort((a, b) => a.p - b.p);
  const events: JournalEvent[] = [
    ev(EventName.RunStarted, 'r1', { command: 'stage 1', stages: [1] }),
    ev(EventName.StageStarted, 'r1', { stage: 1 }),
  ];
  const started = new Set<string>();
  const pending: string[] = [];
  for (const m of order) {
    if (m.kind === 'start') {
      started.add(m.s);
      events.push(
        ev(EventName.StepStarted, 'r1', { stage: 1, step: m.s }),
        ev(EventName.StepProcess, 'r1', { stage: 1, step: m.s, pgid: 100, host: 'h' }),
      );
      for (const s of pending.splice(0)) events.push(ev(EventName.StepSucceeded, 'r1', { stage: 1, step: s }));
    } else if (started.has(m.s)) events.push(ev(EventName.StepSucceeded, 'r1', { stage: 1, step: m.s }));
    else pending.push(m.s); // its start comes later: succeed right after it
  }
  for (const s of pending) events.push(ev(EventName.StepSucceeded, 'r1', { stage: 1, step: s }));
  events.push(
    ev(EventName.StageCompleted, 'r1', { stage: 1 }),
    ev(EventName.RunFinished, 'r1', { outcome: 'succeeded' }),
  );
  return events;
});

/** What a journal prefix says, read naively: the reference model. */
function model(events: JournalEvent[]) {
  const succeeded = events.filter((e) => e.event === EventName.StepSucceeded).map((e) => e.step!);
  const started = events.filter((e) => e.event === EventName.StepStarted).map((e) => e.step!);
  const undone = events
    .filter((e) => e.event === EventName.RollbackStep)
    .filter((e) => e.ok)
    .map((e) => e.source);
  return { completed: succeeded, inDoubt: started.filter((s) => !succeeded.includes(s)), undone };
}

const project = (events: JournalEvent[]) => events.reduce((p, e) => apply(p, e), emptyProjection('rb'));
const plannedUndos = (events: JournalEvent[]) => {
  const { targets } = planRollback(project(events), { emergency: false, reason: null }, runbook);
  return targets.flatMap((x) =>
    rollbackActions(runbook.stages[0]!, x.completed, x.records, x.undone).map((a) => a.source),
  );
};

test.prop([stageEvents, fc.nat(), fc.nat(), fc.boolean()], { numRuns: 300 })(
  'a kill at any event: projection and rollback plan match the prefix',
  (events, cutAt, doneAt, finish) => {
    const prefix = events.slice(0, cutAt % (events.length + 1));
    const m = model(prefix);
    const p = project(prefix);
    const completedStage = prefix.some((e) => e.event === EventName.StageCompleted);
    if (!completedStage && p.active) {
      expect(p.active.completed.map((c) => c.step)).toEqual(m.completed);
      expect(p.active.in_doubt).toEqual(m.inDoubt);
    }
    // The crash: rollback plans completed + in-doubt, each once, in-doubt first (they started last).
    const plan = plannedUndos(prefix);
    const expected = [...m.completed, ...m.inDoubt].reverse();
    expect(plan).toEqual(completedStage ? [...m.completed].reverse() : expected);
    expect(new Set(plan).size).toBe(plan.length);

    // That rollback is killed after `done` undos: the next plan is the rest, nothing repeated.
    const done = plan.slice(0, doneAt % (plan.length + 1));
    const rb = [
      ev(EventName.RunStarted, 'r2', { command: 'rollback' }),
      ev(EventName.RollbackStarted, 'r2', { stage: 1, completed: [...plan].reverse(), to: 0 }),
      ...done.map((source) => ev(EventName.RollbackStep, 'r2', { stage: 1, source, ok: true })),
    ];
    if (!plan.length && !p.active && !completedStage) return;
    const after = [
      ...prefix,
      ...rb,
      ...(finish && done.length === plan.length ? [ev(EventName.RollbackCompleted, 'r2', { stage: 1 })] : []),
    ];
    const q = project(after);
    expect(model(after).undone).toEqual(done);
    if (finish && done.length === plan.length) {
      expect(q.rolling).toBeNull();
      expect(plannedUndos(after)).toEqual([]);
    } else {
      expect(q.rolling?.undone).toEqual(done);
      expect(plannedUndos(after)).toEqual(plan.slice(done.length));
    }
  },
);
