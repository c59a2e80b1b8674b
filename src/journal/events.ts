/** What a journal line is: the events, their fields, and the parse of one line. */
import type { FailureKind } from '../errors.js';
import type { SampleResult } from '../engine/sample.js';
import type { ActionKind, OnBreach } from '../runbook/types.js';
import type { LockInfo, Outcome } from './types.js';

/** Journal event names. Each is appended (and fsynced) before the action it announces proceeds. */
export enum EventName {
  /** A command that changes state began: stage, up, rollback. */
  RunStarted = 'run.started',
  /** The run ended; carries its outcome and reason. */
  RunFinished = 'run.finished',
  /** A stale lock was taken over from a process that is gone. */
  LockTakenOver = 'lock.taken_over',
  /** An operator removed a lock with `unlock`. */
  LockRemoved = 'lock.removed',
  /** A stage began (after its preflight passed). */
  StageStarted = 'stage.started',
  /** Preflight checks passed or failed. */
  PreflightFinished = 'preflight.finished',
  /** An operator answered a gate. */
  GateAnswered = 'gate.answered',
  /** A step is about to run. */
  StepStarted = 'step.started',
  /** A step's process started: its process group id, so recovery can stop what a dead run left running. */
  StepProcess = 'step.process',
  /** Recovery stopped a process group a dead run left running. */
  ProcessStopped = 'process.stopped',
  /** A step finished successfully (its undo now applies). */
  StepSucceeded = 'step.succeeded',
  /** A step failed after its retries. */
  StepFailed = 'step.failed',
  /** A step's `when` was false. */
  StepSkipped = 'step.skipped',
  /** A monitor window or canary hold began. */
  WindowStarted = 'window.started',
  /** One sample of one check. */
  Sample = 'check.sample',
  /** A window's limits were breached. */
  Breach = 'monitor.breach',
  /** A canary weight was set. */
  WeightSet = 'canary.weight',
  /** An operator ended a canary hold early (`migrate promote`): who, why, and how much of the hold was left. */
  CanaryPromoted = 'canary.promoted',
  /** A flag was written; carries the previous value. */
  FlagSet = 'flag.set',
  /** Verify checks finished. */
  VerifyFinished = 'verify.finished',
  /** The stage completed: current_stage moves to it. */
  StageCompleted = 'stage.completed',
  /** The stage failed (before any rollback). */
  StageFailed = 'stage.failed',
  /** The process was interrupted mid-stage. */
  StageInterrupted = 'stage.interrupted',
  /** Rolling back a stage began. */
  RollbackStarted = 'rollback.started',
  /** A rollback action is about to run: until its rollback.step, it is in doubt (status names it). */
  RollbackStepStarted = 'rollback.step_started',
  /** One rollback action (a step undo or a stage rollback step) finished or failed. */
  RollbackStep = 'rollback.step',
  /** The stage is rolled back: current_stage drops below it. */
  RollbackCompleted = 'rollback.completed',
  /** A rollback action failed: state is dirty. */
  RollbackFailed = 'rollback.failed',
}

export const EVENT_NAMES: string[] = Object.values(EventName);

/** Events that happen many times a run are not notifiable: a pager per sample helps no one. */
export const NOT_NOTIFIABLE = new Set<string>([
  EventName.Sample,
  EventName.StepStarted,
  EventName.StepProcess,
  EventName.WindowStarted,
  EventName.RollbackStepStarted,
]);

/**
 * Reports of what already happened: no action waits on them, and the next
 * announcing event (fsynced) makes them durable too. Everything else is
 * fsynced before the action it announces proceeds. `step.process` is read
 * only after migrate itself died, and a written line outlives the process
 * that wrote it; a crash of the machine, which loses unsynced lines, also
 * ends the process group the line names.
 */
export const REPORT_ONLY = new Set<string>([
  EventName.StepSucceeded,
  EventName.StepSkipped,
  EventName.Sample,
  EventName.StepProcess,
]);

/** What a flag step journals before it writes: the flag's state before, restored exactly on rollback. */
export interface FlagRecord {
  name: string;
  previous: { exists: boolean; value?: unknown };
}
/** What a canary journals before it sets a weight: the weight before, for rollback and --resume. */
export interface CanaryRecord {
  weight: number;
  previous: number;
}

/** Where a process group came from: a step of a stage, or a rollback action (by source). */
export interface GroupSource {
  stage: number;
  step?: string;
  source?: string;
}

interface Checked {
  check: string;
  value: unknown;
  result: SampleResult;
  message: string;
}

/**
 * Each event's own fields. record() is checked against this map, and the
 * projection reads them typed. Older journals may lack a field added later:
 * the projection keeps a default for those (see `to`).
 */
export interface EventFields {
  [EventName.RunStarted]: { command: string; stages: number[]; pid: number; host: string };
  [EventName.RunFinished]: {
    outcome: Outcome;
    reason: string | null;
    stages?: number[];
    working_ms: number;
    waiting_ms: number;
  };
  [EventName.LockTakenOver]: { previous: LockInfo };
  [EventName.LockRemoved]: { previous: LockInfo; proven_gone: boolean; forced: boolean };
  [EventName.StageStarted]: { stage: number; name: string; resume: boolean; baselines?: Record<string, unknown> };
  [EventName.PreflightFinished]: { ok: boolean; samples: Checked[] };
  [EventName.GateAnswered]: {
    stage: number;
    gate: string;
    answer: 'yes' | 'no';
    via: '--confirm-stage' | '--yes' | 'prompt';
  };
  [EventName.StepStarted]: { stage: number; step: string; action: ActionKind; display: string };
  [EventName.StepProcess]: GroupSource & { pgid: number; host: string; started: string | null };
  [EventName.ProcessStopped]: GroupSource & { pgid: number; previous_run: string; signal: 'SIGTERM' | 'SIGKILL' };
  [EventName.StepSucceeded]: { stage: number; step: string; attempts: number; duration_ms: number; tail: string };
  [EventName.StepFailed]: {
    stage: number;
    step: string;
    attempts: number;
    message: string;
    tail: string;
    declined?: boolean;
    continue_on_error?: boolean;
  };
  [EventName.StepSkipped]: { stage: number; step: string; when: string };
  [EventName.WindowStarted]: { window: string; duration_ms: number; interval_ms: number };
  [EventName.Sample]: Checked & {
    window: string;
    check_id: string;
    probe: string;
    expect: string | null;
    counted_as: SampleResult;
    consecutiveFailed: number;
    consecutiveErrors: number;
  };
  [EventName.Breach]: {
    window: string;
    check: string;
    check_id: string;
    value: unknown;
    reason: string;
    on_breach: OnBreach;
  };
  [EventName.WeightSet]: { stage: number; key: 'canary'; record: CanaryRecord; weight: number };
  [EventName.CanaryPromoted]: {
    stage: number;
    weight: number;
    promoted_by: string;
    reason: string;
    hold_left_ms: number | null;
    request_id: string | null;
  };
  [EventName.FlagSet]: {
    stage?: number;
    step?: string;
    key: string;
    record: FlagRecord;
    value: unknown;
    store: string;
  };
  [EventName.VerifyFinished]: { ok: boolean; samples: Checked[] };
  [EventName.StageCompleted]: { stage: number };
  [EventName.StageFailed]: { stage: number; reason: string; kind: FailureKind };
  [EventName.StageInterrupted]: { stage: number; reason?: string; preempted?: boolean };
  [EventName.RollbackStarted]: {
    stage: number;
    completed: string[];
    emergency: boolean;
    reason: string;
    to?: number;
    undone: string[];
  };
  [EventName.RollbackStepStarted]: { stage: number; source: string; title: string };
  [EventName.RollbackStep]: {
    stage: number;
    source: string;
    ok: boolean;
    skipped?: string;
    message?: string;
    tail?: string;
  };
  [EventName.RollbackCompleted]: { stage: number };
  [EventName.RollbackFailed]: { stage: number; reason?: string };
}

/** What every event carries; `ts` is set on append when absent. */
interface NewHead {
  ts?: string;
  run_id: string;
  runbook: string;
  digest: string;
  operator: string;
}
type EventHead = NewHead & { ts: string };

/** One event of this name, as journaled. */
export type EventOf<E extends EventName> = EventHead & { event: E } & EventFields[E];
/** Any event: narrowed by `event`. */
export type JournalEvent = { [E in EventName]: EventOf<E> }[EventName];
/** An event to append. */
export type NewEvent<E extends EventName = EventName> = NewHead & { event: E } & EventFields[E];

/**
 * A journal line as an event, or why it is not one (a short description for people).
 * Only the head is checked: the fields are what this program (or an older one) wrote.
 */
export function parseEvent(line: string): JournalEvent | string {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!e || typeof e !== 'object' || Array.isArray(e)) return JSON.stringify(e).slice(0, 40);
  // Called once per journal line on every read: plain checks, no per-line allocation.
  const o = e as Record<string, unknown>;
  if (typeof o.ts !== 'string') return 'no ts';
  if (typeof o.run_id !== 'string') return 'no run_id';
  if (typeof o.runbook !== 'string') return 'no runbook';
  if (typeof o.event !== 'string') return 'no event';
  // The fields decisions read: a wrong type here would block every stage with nonsense hints.
  if (STAGED.has(o.event) ? !isStage(o.stage) : o.stage !== undefined && !isStage(o.stage))
    return `bad stage ${JSON.stringify(o.stage)?.slice(0, 20)}`;
  if (o.step !== undefined && typeof o.step !== 'string') return 'bad step';
  if (o.source !== undefined && typeof o.source !== 'string') return 'bad source';
  if (!isNames(o.completed) || !isNames(o.undone)) return 'bad step list';
  // The fields history and status print.
  if (o.operator !== undefined && typeof o.operator !== 'string') return 'bad operator';
  if (o.command !== undefined && typeof o.command !== 'string') return 'bad command';
  if (o.reason !== undefined && o.reason !== null && typeof o.reason !== 'string') return 'bad reason';
  if (o.stages !== undefined && !(Array.isArray(o.stages) && o.stages.every(isStage))) return 'bad stages';
  // The numbers holds, windows, durations and process groups are computed from: a wrong one would hang or mislead.
  for (const k of NUMBERS) {
    const v = o[k];
    if (
      v !== undefined &&
      !(typeof v === 'number' && Number.isFinite(v) && v >= 0) &&
      !(v === null && k === 'hold_left_ms')
    )
      return `bad ${k}`;
  }
  if (o.window !== undefined && typeof o.window !== 'string') return 'bad window';
  if (o.to !== undefined && !(Number.isSafeInteger(o.to) && (o.to as number) >= 0)) return 'bad to';
  if (o.record !== undefined) {
    const r = o.record as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || (r.weight !== undefined && typeof r.weight !== 'number')) return 'bad record';
  }
  return o as unknown as JournalEvent;
}

/** Fields that, when present, are non-negative numbers. */
const NUMBERS = [
  'duration_ms',
  'interval_ms',
  'weight',
  'hold_left_ms',
  'pid',
  'pgid',
  'working_ms',
  'waiting_ms',
  'attempts',
] as const;

/** Events whose `stage` the projection keys on. */
const STAGED: ReadonlySet<string> = new Set([
  EventName.StageStarted,
  EventName.StepStarted,
  EventName.StepSucceeded,
  EventName.StepFailed,
  EventName.StepSkipped,
  EventName.StageCompleted,
  EventName.StageFailed,
  EventName.StageInterrupted,
  EventName.WeightSet,
  EventName.CanaryPromoted,
  EventName.RollbackStarted,
  EventName.RollbackStepStarted,
  EventName.RollbackStep,
  EventName.RollbackCompleted,
  EventName.RollbackFailed,
]);
const isStage = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isNames = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
