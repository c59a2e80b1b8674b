/**
 * Typed errors. Commands throw these; the single top-level handler in
 * cli/main.ts maps them to exit codes (SPEC 4.2). Nothing else exits.
 */
import type { Diagnostic } from './runbook/diagnostics.js';
import type { Sample } from './engine/sample.js';

export enum ExitCode {
  /** Success, or nothing to do. */
  Ok = 0,
  /** The stage failed and was rolled back cleanly, or a check failed. */
  Failed = 1,
  /** Invalid usage or an invalid runbook. */
  Usage = 2,
  /** A rollback failed: state is dirty. */
  Dirty = 3,
  /** Another run holds the lock. */
  Locked = 4,
  /** A gate was declined, or confirmation was needed without --yes. */
  Declined = 5,
  /** The environment is broken: unwritable state dir, full disk, a damaged journal that cannot be repaired. */
  Environment = 6,
  /** Interrupted by a signal. */
  Interrupted = 130,
}

export class MigrateError extends Error {
  readonly exitCode: ExitCode = ExitCode.Failed;
  /** Further lines an operator needs (what to do next). */
  hint?: string;
  /** The short cause history records (what breached, with its value); the message when absent. */
  reason?: string;
  constructor(message: string, hint?: string, reason?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
    this.reason = reason;
  }
}

export class UsageError extends MigrateError {
  override readonly exitCode = ExitCode.Usage;
}

/** The runbook did not validate; carries every located diagnostic. */
export class InvalidRunbookError extends MigrateError {
  override readonly exitCode = ExitCode.Usage;
  constructor(
    readonly diagnostics: Diagnostic[],
    message?: string,
    readonly printed = false,
  ) {
    super(message ?? `runbook is invalid (${diagnostics.filter((d) => d.severity === 'error').length} error(s))`);
  }
}

export class StageFailedError extends MigrateError {
  override readonly exitCode = ExitCode.Failed;
  /** The stage was rolled back cleanly after failing. */
  rolledBack = false;

  static rolledBack(message: string, reason: string): StageFailedError {
    const e = new StageFailedError(message, undefined, reason);
    e.rolledBack = true;
    return e;
  }
}

export class CheckFailedError extends MigrateError {
  override readonly exitCode = ExitCode.Failed;
}

export class RollbackFailedError extends MigrateError {
  override readonly exitCode = ExitCode.Dirty;
}

/** An emergency rollback stopped at an irreversible stage: what stays applied needs a person (exit 3). */
export class RollbackStoppedError extends MigrateError {
  override readonly exitCode = ExitCode.Dirty;
}

export class LockHeldError extends MigrateError {
  override readonly exitCode = ExitCode.Locked;
}

export class DeclinedError extends MigrateError {
  override readonly exitCode = ExitCode.Declined;
}

export class InterruptedError extends MigrateError {
  override readonly exitCode = ExitCode.Interrupted;
}

/** The run was stopped from outside: an emergency rollback took over, or its lock was lost (exit 130). */
export class PreemptedError extends InterruptedError {}

/** The machine, not the runbook or the stage: unwritable state, full disk, damaged journal (exit 6). */
export class EnvironmentError extends MigrateError {
  override readonly exitCode = ExitCode.Environment;
}

/** errno codes that mean "the environment is broken", and how to say it. */
const ENVIRONMENT_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (read-only or immutable)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory, not a file',
  EEXIST: 'exists and is not a directory',
  ELOOP: 'is a symbolic link',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
};

/**
 * An fs failure as a one-line EnvironmentError (`doing` says what failed, e.g.
 * "cannot write the journal /x/journal.jsonl"); anything else unchanged.
 */
export function asEnvironmentError(e: unknown, doing?: string): unknown {
  if (e instanceof MigrateError || !(e instanceof Error)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const what = code ? ENVIRONMENT_CODES[code] : undefined;
  if (!what) return e;
  const path = (e as NodeJS.ErrnoException).path;
  const head = doing ?? `cannot use ${path ?? 'the state directory'}`;
  const err = new EnvironmentError(
    `${head}: ${what} (${code})`,
    'fix the state directory (space, permissions, path), then run the command again',
  );
  err.cause = e;
  return err;
}

/** Why a stage failed, as journaled in `stage.failed`'s `kind`. */
export enum FailureKind {
  /** A step's action failed (non-zero exit, HTTP error). */
  Step = 'step',
  /** A step, or the stage's working time, ran out and was stopped. */
  Timeout = 'timeout',
  /** A monitor window or canary hold breached its limits. */
  Breach = 'breach',
  /** A success criterion failed after the window. */
  Verify = 'verify',
  /** A readiness check failed: nothing was changed. */
  Preflight = 'preflight',
  /** The operator interrupted the run. */
  Interrupt = 'interrupt',
  /** A person was needed inside the steps (a `pause: {until: confirm}`) and said no, or nobody could be asked. */
  Declined = 'declined',
  /** Anything else: a bug or an unexpected environment failure, never dressed up as one of the above. */
  Internal = 'internal',
}

/** A failure inside a running stage: each kind of failure is its own class and carries its kind. */
export abstract class StageFailure extends MigrateError {
  abstract readonly kind: FailureKind;
}

export class StepFailedError extends StageFailure {
  readonly kind: FailureKind;
  constructor(
    readonly step: string,
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.kind = timedOut ? FailureKind.Timeout : FailureKind.Step;
  }
}

/** The stage's own `timeout` (working time) ran out. */
export class StageTimeoutError extends StageFailure {
  readonly kind = FailureKind.Timeout;
}

export class BreachError extends StageFailure {
  readonly kind = FailureKind.Breach;
  constructor(
    message: string,
    readonly sample: Sample,
    readonly window: string,
  ) {
    super(message);
  }
}

export class VerifyFailedError extends StageFailure {
  readonly kind = FailureKind.Verify;
}

/** A `pause: {until: confirm}` step was declined, or nobody could be asked: needs a person (exit 5). */
export class StepDeclinedError extends DeclinedError {
  readonly kind = FailureKind.Declined;
}

/** The operator chose not to promote: the canary stays where it is (resume or roll back later). */
export class PromotionDeclinedError extends DeclinedError {}

/** The kind journaled for a stage failure; anything unforeseen is `internal`, never a guess. */
export function failureKind(e: unknown): FailureKind {
  if (e instanceof StageFailure || e instanceof StepDeclinedError) return e.kind;
  if (e instanceof DeclinedError) return FailureKind.Declined;
  if (e instanceof InterruptedError) return FailureKind.Interrupt;
  return FailureKind.Internal;
}

/** A value refused where it would land (a leading `-` where options are read). */
export class UnsafeValueError extends MigrateError {}

/** A value that would change which resource a URL names. */
export class UnsafeUrlError extends MigrateError {}

/** A reply too large to hold: refused while it streams, not after. */
export class ReplyTooLargeError extends MigrateError {}

// Errors that stay inside the core: each becomes a diagnostic, a sample or a refusal where it is caught.

/** A runbook file over the size limit (runbook/read.ts). */
export class RunbookTooLarge extends Error {
  /** bytes: the file's size, or null for a pipe or device (only known to exceed the limit). */
  constructor(
    readonly bytes: number | null,
    limit: number,
  ) {
    const size = bytes === null ? 'over' : `${(bytes / (1 << 20)).toFixed(1)} MiB, over`;
    super(`the runbook is ${size} the ${limit >> 20} MiB limit (a runbook is a few KB: is this the right file?)`);
  }
}

/** Bytes that are not UTF-8: refused where they start, rather than read as U+FFFD into a command or SQL. */
export class NotUtf8 extends Error {
  /** before: the text up to the first bad byte (where it is, as a line and column). */
  constructor(readonly before: string) {
    super('the runbook is not UTF-8 text: a byte here is not part of any character (save it as UTF-8)');
  }
}

/** SQL PostgreSQL's parser refuses; offset is where, in characters. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** An expect expression that does not parse, or nests too deep; offset is where. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly code: 'expr-syntax' | 'expr-too-deep' = 'expr-syntax',
  ) {
    super(message);
  }
}

/** The probe answered with data the expression cannot use as asked (a string where a number is compared). */
export class ExprEvalError extends Error {}

/** The probe could not run (timeout, connection refused): an `error` sample. */
export class ProbeError extends Error {}
