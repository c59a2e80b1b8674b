/**
 * Whether a run may proceed, from the journal's projection: shared by the
 * engine (which refuses) and by `plan` / `--dry-run` (which report).
 */
import { EnvironmentError, MigrateError, RollbackFailedError, UsageError } from '../errors.js';
import { currentStage, type Projection } from '../journal/project.js';

/** Why stage N cannot run now, or null. Shared by `stage`, `--dry-run` and `plan`. */
export function blocker(p: Projection, n: number, resume: boolean): MigrateError | null {
  // A stage decided on a journal that lost or garbled events could repeat or skip work: a person looks first.
  if (p.damage?.length) {
    return new EnvironmentError(`the journal is damaged: ${p.damage.join('; ')}`, `'migrate status' and 'migrate rollback' still work; repair or restore the journal, then delete snapshot.json in the state directory`);
  }
  if (p.dirty) return new RollbackFailedError(`state is dirty: the rollback of stage ${p.dirty.stage} failed (${p.dirty.reason})`, "fix it by hand, then run 'migrate rollback' again");
  if (p.active && !(resume && p.active.stage === n)) {
    return new UsageError(`stage ${p.active.stage} did not finish (last: ${p.active.last_event}${p.active.last_step ? ` at step ${p.active.last_step}` : ''})`, `run 'migrate rollback' to undo it, or 'migrate stage ${p.active.stage} --resume' to finish it`);
  }
  if (resume && !p.active) return new UsageError(`nothing to resume: no stage was interrupted`);
  const current = currentStage(p);
  if (current < n - 1) return new UsageError(`stage ${n} needs stage ${n - 1} first (current stage is ${current})`, `run 'migrate stage ${current + 1}'`);
  return null;
}

export interface RollbackOptions { to?: number; emergency: boolean; reason: string | null }

/** Which stages a rollback undoes, highest first, with the steps to undo in each. */
export interface RollbackTarget { stage: number; completed: string[]; records: Record<string, unknown> }

export function rollbackTargets(p: Projection, opts: RollbackOptions): RollbackTarget[] {
  const targets: RollbackTarget[] = [];
  if (p.dirty) targets.push({ stage: p.dirty.stage, completed: p.dirty.completed, records: p.dirty.records });
  // In-doubt steps may have run, partly or fully: undone too, first (they started last).
  if (p.active) targets.push({ stage: p.active.stage, completed: [...p.active.completed.map((c) => c.step), ...p.active.in_doubt], records: p.active.records });
  const applied = [...p.applied].sort((a, b) => b.stage - a.stage);
  const floor = opts.emergency ? 0 : opts.to ?? (p.active || p.dirty ? Infinity : (applied[0]?.stage ?? 1) - 1);
  for (const a of applied) if (a.stage > floor) targets.push({ stage: a.stage, completed: a.completed, records: a.records });
  return targets;
}

