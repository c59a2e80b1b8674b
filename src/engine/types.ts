import type { TaskGraph } from '../plan/graph.js';
import type { Sample } from './sample.js';

/**
 * What the engine needs from the outside, as interfaces: the CLI supplies
 * terminal rendering and prompts, tests supply fakes at this one boundary.
 */

export enum TaskState {
  /** Not started. */
  Pending = 'pending',
  /** Running now. */
  Running = 'running',
  /** Finished successfully. */
  Succeeded = 'succeeded',
  /** Failed (after retries). */
  Failed = 'failed',
  /** Not run: `when` was false, or already done (--resume). */
  Skipped = 'skipped',
  /** Waiting for the operator. */
  Waiting = 'waiting',
}

export { FailureKind } from '../errors.js';

export type { Sample, SampleResult } from './sample.js';

/** How the engine shows progress; rendering is the CLI's business. */
export interface Reporter {
  /** A stage is about to run (order and lock checked): its graph lays out the display. */
  beginStage(graph: TaskGraph): Promise<void> | void;
  /** A rollback of these stages (highest first) is about to run. */
  beginRollback(stages: number[], emergency: boolean): Promise<void> | void;
  task(id: string, title: string, state: TaskState, detail?: string): void;
  output(id: string, line: string): void;
  sample(window: string, sample: Sample, counts: { consecutiveFailed: number; consecutiveErrors: number }): void;
  countdown(window: string, leftMs: number, samples: number): void;
  message(text: string): void;
}

export interface Prompter {
  /** A yes/no gate. Throws DeclinedError when it cannot ask (no TTY and no --yes). */
  confirm(message: string): Promise<boolean>;
  /** Typed confirmation: the operator must type `expected`. --yes never answers it. */
  typed(message: string, expected: string): Promise<boolean>;
  /** Whether this stage name was confirmed ahead of time (--confirm-stage): answers its typed gate. */
  preconfirmed?(stageName: string): boolean;
  /** Whether answers come from --yes (journaled as such). */
  readonly assumeYes: boolean;
  /** Whether a person can be asked at all (a terminal, not CI). */
  readonly interactive: boolean;
}

export type { ProcessResult, ProcessRunner } from './runner.js';
