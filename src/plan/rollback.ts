/**
 * What rolling a stage back runs: the undo of each completed step in reverse
 * completion order, then the stage's rollback steps. Shared by the engine and
 * by `plan --rollback`, so the preview is what runs.
 */
import { asAction, stepId, type Action, type Stage } from '../runbook/types.js';

export interface RollbackAction {
  /** The step it undoes, or `rollback-N` for the stage's own rollback steps. */
  source: string;
  title: string;
  action: Action;
}

function undoOf(stage: Stage, step: string): Action | null {
  const i = (stage.steps ?? []).findIndex((s, k) => stepId(s, k) === step);
  if (i < 0) return null;
  const s = stage.steps![i];
  if (s.undo !== undefined) return asAction(s.undo);
  if (s.undo_sql !== undefined) return { sql: s.undo_sql, database: s.database };
  return null;
}

export function rollbackActions(stage: Stage, completed: string[]): RollbackAction[] {
  const out: RollbackAction[] = [];
  for (const step of [...completed].reverse()) {
    const undo = undoOf(stage, step);
    if (undo) out.push({ source: step, title: `undo ${step}`, action: undo });
  }
  (stage.rollback ?? []).forEach((r, i) => {
    const a = asAction(r);
    out.push({ source: `rollback-${i + 1}`, title: a.name ?? `stage ${stage.id} rollback step ${i + 1}`, action: a });
  });
  return out;
}
