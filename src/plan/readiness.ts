/**
 * Whether a run may proceed, from the journal's projection: shared by the
 * engine (which refuses) and by `plan` / `--dry-run` (which report).
 */
import { EnvironmentError, MigrateError, RollbackFailedError, UsageError } from '../errors.js';
import { currentStage, describeState, type Projection } from '../journal/project.js';
import { describeHolder } from '../journal/lockfile.js';
import { RunState, type LockInfo } from '../journal/types.js';
import type { Runbook } from '../runbook/types.js';

/**
 * Stage N is applied and nothing is half-done: a run of it would do nothing.
 * A half-finished or failed rollback is half-done too: its stage is partly undone.
 */
export function alreadyApplied(p: Projection, n: number): boolean {
  return currentStage(p) >= n && !p.active && !p.rolling && !p.dirty;
}

/** The applied stages whose runbook has changed since they ran (another digest). */
export function drift(p: Projection, digest: string): number[] {
  return p.applied.filter((a) => a.digest !== digest).map((a) => a.stage);
}

export const driftNote = (stages: number[]) => `the runbook changed since stage(s) ${stages.join(', ')} ran`;

/** The lock's holder while its process lives (null for none, or one proven gone: the next run takes it over). */
export function liveHolder(h: LockInfo | null): LockInfo | null {
  return h && !h.stale ? h : null;
}

/** What would stop `migrate stage N` now (`plan`, `stage --dry-run`): the refusal, a live lock holder, and drift. */
export function readiness(p: Projection, live: LockInfo | null, n: number, digest: string, resume = false) {
  const applied = alreadyApplied(p, n);
  const block = applied ? null : blocker(p, n, resume);
  const blockers = [
    ...(block ? [block.message] : []),
    ...(live ? [`the lock is held by ${describeHolder(live)}`] : []),
  ];
  return { current_stage: currentStage(p), already_applied: applied, block, blockers, drift: drift(p, digest) };
}

/** Why stage N cannot run now, or null. Shared by `stage`, `--dry-run` and `plan`. */
export function blocker(p: Projection, n: number, resume: boolean): MigrateError | null {
  // A stage decided on a journal that lost or garbled events could repeat or skip work: a person looks first.
  if (p.damage?.length) {
    return new EnvironmentError(
      `the journal is damaged: ${p.damage.join('; ')}`,
      lostStage(p)?.hint ??
        `'migrate status' and 'migrate rollback' still work; repair or restore the journal, then delete snapshot.json in the state directory`,
    );
  }
  if (p.dirty)
    return new RollbackFailedError(
      `state is dirty: the rollback of stage ${p.dirty.stage} failed (${p.dirty.reason})`,
      "fix it by hand, then run 'migrate rollback' again",
    );
  if (p.rolling) {
    return new UsageError(
      `the rollback of stage ${p.rolling.stage} did not finish (undone so far: ${p.rolling.undone.join(', ') || 'nothing'})`,
      `run 'migrate rollback' to finish it`,
    );
  }
  if (p.active && !(resume && p.active.stage === n)) {
    return new UsageError(
      `stage ${p.active.stage} did not finish (last: ${p.active.last_event}${p.active.last_step ? ` at step ${p.active.last_step}` : ''})`,
      `run 'migrate rollback' to undo it, or 'migrate stage ${p.active.stage} --resume' to finish it`,
    );
  }
  if (resume && !p.active) return new UsageError(`nothing to resume: no stage was interrupted`);
  const current = currentStage(p);
  if (current < n - 1)
    return new UsageError(
      `stage ${n} needs stage ${n - 1} first (current stage is ${current})`,
      `run 'migrate stage ${current + 1}'`,
    );
  return null;
}

export interface RollbackOptions {
  to?: number;
  emergency: boolean;
  reason: string | null;
  /** How history names the run, when no command line asked for it (the answer after a Ctrl-C). */
  command?: string;
}

/** Which stages a rollback undoes, highest first, with the steps to undo in each and the actions already undone. */
export interface RollbackTarget {
  stage: number;
  completed: string[];
  records: Record<string, unknown>;
  undone: string[];
}

/** Where an emergency rollback stops: the highest irreversible stage, and every stage that stays applied. */
export interface IrreversibleStop {
  stage: number;
  name: string;
  keeps: number[];
}

/**
 * A journal cut short can show stage 1 applied while a read before it saw
 * stage 2: undoing stage 1 under stage 2 is what a rollback must never do, so
 * nothing is decided on what is left (an emergency rollback neither). Also
 * what `status` warns of.
 */
export function lostStage(p: Projection): EnvironmentError | null {
  if (!p.lost) return null;
  return new EnvironmentError(
    `the journal lost events: a read before saw ${p.lost.seen}; the journal now shows ${describeState(p)}; a rollback decided on what is left could undo a stage under one still applied, or undo again what was undone`,
    `restore the journal (a journal that shows it again settles this), or make the system match what the journal shows by hand; then delete snapshot.json in the state directory`,
  );
}

/**
 * The stages a rollback undoes, highest first. Plain and `--to` refuse to cross
 * an irreversible stage (UsageError naming it); `--emergency` stops above it and
 * reports the stop. A rollback that was interrupted resumes: its stage comes
 * first, without the actions the journal shows done, and a plain `rollback` goes
 * down to where the interrupted one was going.
 */
export function planRollback(
  p: Projection,
  opts: RollbackOptions,
  runbook: Runbook,
): { targets: RollbackTarget[]; stop: IrreversibleStop | null } {
  const lost = lostStage(p);
  if (lost) throw lost;
  const undone = (stage: number) =>
    p.rolling?.stage === stage ? p.rolling.undone : p.dirty?.stage === stage ? p.dirty.undone : [];
  const all: Omit<RollbackTarget, 'undone'>[] = [];
  if (p.dirty) all.push(p.dirty);
  // In-doubt steps may have run, partly or fully: undone too, first (they started last).
  if (p.active)
    all.push({
      stage: p.active.stage,
      completed: [...p.active.completed.map((c) => c.step), ...p.active.in_doubt],
      records: p.active.records,
    });
  const applied = [...p.applied].sort((a, b) => b.stage - a.stage);
  const interrupted = p.active || p.dirty || p.rolling;
  const floor = opts.emergency
    ? 0
    : (opts.to ?? p.rolling?.to ?? (interrupted ? Infinity : (applied[0]?.stage ?? 1) - 1));
  for (const a of applied) if (a.stage > floor) all.push(a);
  const targets: RollbackTarget[] = [];
  for (const t of all) {
    const stage = runbook.stages.find((s) => s.id === t.stage);
    if (stage?.irreversible) {
      const name = `stage ${stage.id} (${stage.name})`;
      if (!opts.emergency) {
        throw new UsageError(
          `${name} is irreversible: a rollback cannot cross it`,
          targets.length
            ? `roll back the stages above it with 'migrate rollback --to ${stage.id}'`
            : `it stays applied; an emergency rollback undoes only the stages above it`,
        );
      }
      const gone = new Set(targets.map((x) => x.stage));
      const keeps = [...new Set([...p.applied.map((a) => a.stage), stage.id])]
        .filter((n) => !gone.has(n))
        .sort((a, b) => a - b);
      return { targets, stop: { stage: stage.id, name, keeps } };
    }
    targets.push({ stage: t.stage, completed: t.completed, records: t.records, undone: [...undone(t.stage)] });
  }
  return { targets, stop: null };
}

export function rollbackTargets(p: Projection, opts: RollbackOptions, runbook: Runbook): RollbackTarget[] {
  return planRollback(p, opts, runbook).targets;
}

/** The state `status` shows (SPEC 3), from the projection and whether a live process holds the lock. */
export function runState(p: Projection, liveHolder: boolean): RunState {
  if (p.dirty) return RunState.Dirty;
  if (liveHolder) return RunState.InProgress;
  return p.active || p.rolling ? RunState.Interrupted : RunState.Clean;
}
