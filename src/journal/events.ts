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
  /** One rollback action (a step undo or a stage rollback step) finished or failed. */
  RollbackStep = 'rollback.step',
  /** The stage is rolled back: current_stage drops below it. */
  RollbackCompleted = 'rollback.completed',
  /** A rollback action failed: state is dirty. */
  RollbackFailed = 'rollback.failed',
}

export const EVENT_NAMES: string[] = Object.values(EventName);

/** Events that happen many times a run are not notifiable: a pager per sample helps no one. */
export const NOT_NOTIFIABLE = new Set<string>([EventName.Sample, EventName.StepStarted, EventName.StepProcess, EventName.WindowStarted]);

/**
 * Reports of what already happened: no action waits on them, and the next
 * announcing event (fsynced) makes them durable too. Everything else is
 * fsynced before the action it announces proceeds.
 */
export const REPORT_ONLY = new Set<string>([EventName.StepSucceeded, EventName.StepSkipped, EventName.Sample]);
