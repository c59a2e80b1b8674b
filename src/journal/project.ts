/**
 * The projection: a pure reducer from events to per-runbook state. `status`,
 * `history`, `rollback` and `--resume` all read it; nothing else is stored.
 */
import { EventName, type JournalEvent } from './events.js';
import type { RunSummary } from './types.js';

export interface ActiveStage {
  stage: number;
  run_id: string;
  /** Steps completed, in completion order: what rollback undoes and --resume skips. */
  completed: { step: string; ts: string }[];
  /**
   * Steps started with no outcome yet, in start order: *in doubt* (they may have run, partly or fully).
   * Rollback undoes them too; --resume runs them again.
   */
  in_doubt: string[];
  /** Undo records of flag steps and canary weights, for exact restore. */
  records: Record<string, unknown>;
  last_event: string;
  last_step: string | null;
  /** Baselines by check identity, taken before the stage changed anything: --resume reuses them. */
  baselines?: Record<string, unknown>;
  /** The canary's current weight and its hold as journaled: status shows the time left, --resume holds only for that. */
  canary?: CanaryHold;
}

export interface ProcessGroup {
  run_id: string;
  host: string;
  pgid: number;
  /** The leader's start time (/proc), so a reused pid is never signalled; null where unknown. */
  started: string | null;
  stage: number;
  step?: string;
  source?: string;
}

export interface CanaryHold {
  weight: number;
  /** The hold's length, once its window started (null: the weight was being set). */
  hold_ms: number | null;
  hold_started_at: string | null;
  /** When the run stopped (stage.interrupted) during this weight. */
  stopped_at: string | null;
  /** When the hold was over before its time: promoted, or the stage went on to its monitor window. Nothing of it is left. */
  ended_at?: string;
}

/**
 * What is left of a canary's hold: at the interruption for a run that stopped,
 * now for one still holding (`live`); null when the hold had not started or a
 * dead run left no stopping time.
 */
export function holdLeftMs(hold: CanaryHold | undefined, live: boolean, now = Date.now()): number | null {
  if (!hold || hold.hold_ms === null || !hold.hold_started_at) return null;
  if (hold.ended_at) return 0;
  const until = hold.stopped_at ? Date.parse(hold.stopped_at) : live ? now : null;
  if (until === null) return null;
  return Math.max(0, hold.hold_ms - (until - Date.parse(hold.hold_started_at)));
}

/** A rollback that started and neither completed nor failed (the process died or was interrupted). */
export interface RollingBack {
  stage: number;
  run_id: string;
  /** The stage the interrupted command was rolling back to: a plain `rollback` resumes up to there. */
  to: number;
  emergency: boolean;
  /** Rollback actions (by source) the journal shows done: never run again. */
  undone: string[];
  /** The action (by source, and as people read it) that started with no outcome: it may have run partly; the next rollback runs it again. */
  in_doubt?: { source: string; title: string } | null;
}

export interface Projection {
  runbook: string;
  /** Stages completed and not rolled back, in order of completion. */
  applied: {
    stage: number;
    digest: string;
    run_id: string;
    at: string;
    completed: string[];
    records: Record<string, unknown>;
  }[];
  /** A stage that started and neither completed nor was rolled back. */
  active: ActiveStage | null;
  dirty: {
    stage: number;
    reason: string;
    completed: string[];
    records: Record<string, unknown>;
    undone: string[];
  } | null;
  rolling: RollingBack | null;
  /** Process groups journaled by runs that have not finished: what a dead run may have left running. */
  groups: ProcessGroup[];
  runs: RunSummary[];
  open_run: string | null;
  /** What is wrong with the journal it came from (bad lines, lost events): set by the journal on read, never stored. Stages refuse. */
  damage?: string[];
  /** What the journal repaired on read (a damaged snapshot rebuilt): worth saying, blocks nothing. */
  notes?: string[];
  /**
   * The journal lost events that a read saw, and they mattered to a decision
   * (`decisionState` differs): what that read saw. Set by the journal on read.
   */
  lost?: LostState;
  /** The last canary hold ended early by an operator: `promote` waits for its request's id here. */
  last_promotion?: Promotion;
}

export interface Promotion {
  run_id: string;
  stage: number;
  weight: number;
  by: string;
  reason: string;
  at: string;
  request_id: string | null;
}

export function emptyProjection(runbook: string): Projection {
  return { runbook, applied: [], active: null, dirty: null, rolling: null, groups: [], runs: [], open_run: null };
}

export const currentStage = (p: Projection) => Math.max(0, ...p.applied.map((a) => a.stage));

/** The highest stage with any effect: applied, or started, or half rolled back. */
export const reach = (p: Projection) =>
  Math.max(currentStage(p), p.active?.stage ?? 0, p.dirty?.stage ?? 0, p.rolling?.stage ?? 0);

/** What a read saw before the journal lost it. */
export interface LostState {
  /** The highest stage then in effect. */
  stage: number;
  /** For people: `describeState` of it. */
  seen: string;
  /** Its `decisionState`: a journal that shows this again (restored) settles the loss. */
  state: string;
  /** How many journal lines that read had: a restored journal reaches the same state at the same line. */
  lines: number;
}

/**
 * What a rollback or a stage decides on: which stages are applied with which
 * steps, what is in progress, half rolled back or dirty, with what done. Two
 * projections that agree here lead to the same decisions (runs and notes aside).
 */
export function decisionState(p: Projection = emptyProjection('')): string {
  const sorted = (xs: string[]) => [...xs].sort();
  // What undo records exist (a flag's state before, a canary's weight) matters too: a lost flag.set loses its undo.
  const keys = (r: Record<string, unknown>) => Object.keys(r).sort();
  return JSON.stringify([
    p.applied.map((a) => [a.stage, sorted(a.completed), keys(a.records)]),
    p.active && [
      p.active.stage,
      sorted(p.active.completed.map((c) => c.step)),
      sorted(p.active.in_doubt),
      keys(p.active.records),
    ],
    p.rolling && [p.rolling.stage, sorted(p.rolling.undone)],
    p.dirty && [p.dirty.stage, sorted(p.dirty.undone), keys(p.dirty.records)],
  ]);
}

/** The decision state in words: 'stages 1, 2 applied; stage 3 in progress (a done)'. */
export function describeState(p: Projection = emptyProjection('')): string {
  const parts = [
    p.applied.length
      ? `stage${p.applied.length > 1 ? 's' : ''} ${p.applied.map((a) => a.stage).join(', ')} applied`
      : 'no stage applied',
  ];
  if (p.active) {
    const done = p.active.completed.map((c) => c.step);
    parts.push(`stage ${p.active.stage} in progress (${done.length ? `${done.join(', ')} done` : 'no step done'})`);
  }
  if (p.rolling) parts.push(`stage ${p.rolling.stage} half rolled back`);
  if (p.dirty) parts.push(`stage ${p.dirty.stage} dirty`);
  return parts.join('; ');
}

const MAX_RUNS = 1000;
const MAX_GROUPS = 1000;

/**
 * Runs as people should read them: a run with no outcome is running only while a
 * live process holds the lock for it; otherwise it died (kill -9, power) and is `interrupted`.
 */
export function runsAsSeen(p: Projection, live: { run_id?: string } | null): RunSummary[] {
  const running = (r: RunSummary) => !!live && (live.run_id ? live.run_id === r.run_id : r.run_id === p.open_run);
  return p.runs.map((r) => (r.outcome === null && !running(r) ? { ...r, outcome: 'interrupted' as const } : r));
}

/** The run's summary: searched from the newest, where the run finishing nearly always is. */
function runOf(p: Projection, runId: string): RunSummary | undefined {
  for (let i = p.runs.length - 1; i >= 0; i--) if (p.runs[i]!.run_id === runId) return p.runs[i];
  return undefined;
}

/** Applied once per journal line on every read: nothing here may cost more than the event's own size. */
export function apply(p: Projection, e: JournalEvent): Projection {
  const { rolling } = p;
  switch (e.event) {
    case EventName.RunStarted:
      p.runs.push({
        run_id: e.run_id,
        command: e.command ?? '',
        stages: e.stages ?? [],
        outcome: null,
        started_at: e.ts,
        finished_at: null,
        operator: e.operator,
        reason: null,
        working_ms: null,
        waiting_ms: null,
      });
      if (p.runs.length > MAX_RUNS) p.runs.shift();
      p.open_run = e.run_id;
      break;
    case EventName.StepProcess:
      (p.groups ??= []).push({
        run_id: e.run_id,
        host: e.host,
        pgid: e.pgid,
        started: e.started ?? null,
        stage: e.stage,
        ...(e.step ? { step: e.step } : {}),
        ...(e.source ? { source: e.source } : {}),
      });
      if (p.groups.length > MAX_GROUPS) p.groups.splice(0, p.groups.length - MAX_GROUPS);
      break;
    case EventName.ProcessStopped:
      p.groups = (p.groups ?? []).filter((g) => g.pgid !== e.pgid || g.run_id !== e.previous_run);
      break;
    case EventName.RunFinished: {
      // A finished run waited for (or killed) every process it started.
      if (p.groups?.length) p.groups = p.groups.filter((g) => g.run_id !== e.run_id);
      const run = runOf(p, e.run_id);
      if (run) {
        Object.assign(run, {
          outcome: e.outcome,
          finished_at: e.ts,
          reason: e.reason ?? null,
          working_ms: e.working_ms ?? null,
          waiting_ms: e.waiting_ms ?? null,
        });
        if (e.stages) run.stages = e.stages;
      }
      if (p.open_run === e.run_id) p.open_run = null;
      break;
    }
    case EventName.StageStarted:
      if (p.active && p.active.stage === e.stage)
        p.active.run_id = e.run_id; // resumed
      else
        p.active = {
          stage: e.stage,
          run_id: e.run_id,
          completed: [],
          in_doubt: [],
          records: {},
          last_event: e.event,
          last_step: null,
        };
      p.active.baselines ??= e.baselines;
      break;
    case EventName.StepStarted:
      if (p.active) {
        p.active.last_step = e.step ?? null;
        p.active.last_event = e.event;
        if (e.step && !p.active.in_doubt.includes(e.step) && !p.active.completed.some((c) => c.step === e.step))
          p.active.in_doubt.push(e.step);
      }
      break;
    case EventName.StepFailed:
    case EventName.StepSkipped:
      if (p.active) {
        p.active.last_step = e.step ?? null;
        p.active.last_event = e.event;
        p.active.in_doubt = p.active.in_doubt.filter((s) => s !== e.step);
      }
      break;
    case EventName.StepSucceeded:
      if (p.active && e.step && !p.active.completed.some((c) => c.step === e.step)) {
        p.active.completed.push({ step: e.step, ts: e.ts });
        p.active.in_doubt = p.active.in_doubt.filter((s) => s !== e.step);
        p.active.last_step = e.step;
        p.active.last_event = e.event;
      }
      break;
    case EventName.FlagSet:
    case EventName.WeightSet:
      if (p.active) p.active.records[e.key] = e.record;
      if (p.active && e.event === EventName.WeightSet)
        p.active.canary = { weight: e.weight, hold_ms: null, hold_started_at: null, stopped_at: null };
      break;
    case EventName.CanaryPromoted:
      p.last_promotion = {
        run_id: e.run_id,
        stage: e.stage,
        weight: e.weight,
        by: e.promoted_by,
        reason: e.reason ?? '',
        at: e.ts,
        request_id: e.request_id ?? null,
      };
      if (p.active) p.active.last_event = e.event;
      if (p.active?.canary && p.active.canary.weight === e.weight) p.active.canary.ended_at = e.ts;
      break;
    case EventName.WindowStarted:
      if (p.active?.canary && e.window === `canary:${p.active.canary.weight}`) {
        Object.assign(p.active.canary, { hold_ms: e.duration_ms, hold_started_at: e.ts, stopped_at: null });
      } else if (p.active?.canary && !p.active.canary.ended_at) p.active.canary.ended_at = e.ts; // the monitor window after the last hold
      break;
    case EventName.StageCompleted:
      p.applied = p.applied.filter((a) => a.stage !== e.stage);
      p.applied.push({
        stage: e.stage,
        digest: e.digest,
        run_id: e.run_id,
        at: e.ts,
        completed: p.active && p.active.stage === e.stage ? p.active.completed.map((c) => c.step) : [],
        records: p.active && p.active.stage === e.stage ? p.active.records : {},
      });
      p.active = null;
      break;
    case EventName.RollbackStarted:
      // The same stage again: a resumed rollback keeps what the killed one finished.
      if (rolling && rolling.stage === e.stage) rolling.run_id = e.run_id;
      else {
        const undone = p.dirty && p.dirty.stage === e.stage ? p.dirty.undone : [];
        p.rolling = {
          stage: e.stage,
          run_id: e.run_id,
          to: e.to ?? e.stage - 1,
          emergency: Boolean(e.emergency),
          undone: [...undone],
        };
      }
      break;
    case EventName.RollbackStepStarted:
      if (rolling && rolling.stage === e.stage) rolling.in_doubt = { source: e.source, title: e.title ?? e.source };
      break;
    case EventName.RollbackStep:
      if (rolling && rolling.stage === e.stage && e.ok && !rolling.undone.includes(e.source))
        rolling.undone.push(e.source);
      if (rolling?.in_doubt?.source === e.source) rolling.in_doubt = null;
      break;
    case EventName.RollbackCompleted:
      if (p.rolling?.stage === e.stage) p.rolling = null;
      p.applied = p.applied.filter((a) => a.stage !== e.stage);
      if (p.active?.stage === e.stage) p.active = null;
      if (p.dirty?.stage === e.stage) p.dirty = null;
      break;
    case EventName.RollbackFailed: {
      const { active, dirty } = p;
      const applied = p.applied.find((a) => a.stage === e.stage);
      const from =
        active && active.stage === e.stage
          ? { completed: [...active.completed.map((c) => c.step), ...active.in_doubt], records: active.records }
          : (applied ?? (dirty && dirty.stage === e.stage ? dirty : { completed: [], records: {} }));
      const { completed, records } = from;
      p.applied = p.applied.filter((a) => a.stage !== e.stage);
      if (p.active?.stage === e.stage) p.active = null;
      const undone = rolling && rolling.stage === e.stage ? rolling.undone : [];
      if (rolling && rolling.stage === e.stage) p.rolling = null;
      p.dirty = { stage: e.stage, reason: e.reason ?? 'a rollback step failed', completed, records, undone };
      break;
    }
    case EventName.StageInterrupted:
    case EventName.StageFailed:
      if (p.active) p.active.last_event = e.event;
      if (p.active?.canary && e.event === EventName.StageInterrupted) p.active.canary.stopped_at = e.ts;
      break;
    default:
      if (p.active && 'stage' in e && e.stage === p.active.stage) p.active.last_event = e.event;
  }
  return p;
}
