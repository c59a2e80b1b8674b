/**
 * What rolling a stage back runs: a canary's traffic back to 0 first, then
 * the undo of each completed step in reverse completion order (a flag step's
 * undo restores exactly what the journal recorded), then the stage's rollback
 * steps. Shared by the engine and by `plan --rollback`, so the preview is what runs.
 */
import { asAction, stepId, type Action, type Stage } from '../runbook/types.js';

export interface RollbackAction {
  /** The step it undoes, 'canary', or `rollback-N` for the stage's own rollback steps. */
  source: string;
  title: string;
  action: Action;
  /** Extra template names (a canary's ${weight}). */
  with?: Record<string, string>;
}

/** What the journal recorded while the stage ran (see the flag.set and canary.weight events). */
export type StageRecords = Record<string, unknown>;

interface FlagRecord { name: string; previous: { exists: boolean; value?: unknown } }
export interface CanaryRecord { weight: number; previous: number }

function undoOf(stage: Stage, step: string, records: StageRecords): Action | null {
  const s = (stage.steps ?? []).find((s, k) => stepId(s, k) === step);
  if (!s) return null;
  if (s.undo !== undefined) return asAction(s.undo);
  // An undo runs like its step: same database, same transaction mode (DROP INDEX CONCURRENTLY needs none).
  if (s.undo_sql !== undefined) return { sql: s.undo_sql, database: s.database, transaction: s.transaction, lock_timeout: s.lock_timeout, statement_timeout: s.statement_timeout };
  if (s.flag) {
    const rec = records[`step:${step}`] as FlagRecord | undefined;
    // Without a record the flag was never written: nothing to restore.
    if (!rec) return null;
    return { flag: { name: rec.name, value: null, restore: { exists: rec.previous.exists, value: rec.previous.value as never } } };
  }
  return null;
}

/** What rolling `stage` back runs, in order; `undone` (sources the journal shows done by a killed rollback) are left out. */
export function rollbackActions(stage: Stage, completed: string[], records: StageRecords = {}, undone: string[] = []): RollbackAction[] {
  return allRollbackActions(stage, completed, records).filter((a) => !undone.includes(a.source));
}

function allRollbackActions(stage: Stage, completed: string[], records: StageRecords): RollbackAction[] {
  const out: RollbackAction[] = [];
  const canary = records.canary as CanaryRecord | undefined;
  if (stage.canary && canary) {
    const set = typeof stage.canary.set === 'string' ? { run: stage.canary.set } : stage.canary.set;
    const undo = set.undo !== undefined ? asAction(set.undo) : null;
    out.push({ source: 'canary', title: `traffic from ${canary.weight}% back to 0%`, action: undo ?? set, with: { weight: '0' } });
  }
  for (const step of [...completed].reverse()) {
    const undo = undoOf(stage, step, records);
    if (undo) out.push({ source: step, title: `undo ${step}`, action: undo });
  }
  (stage.rollback ?? []).forEach((r, i) => {
    const a = asAction(r);
    out.push({ source: `rollback-${i + 1}`, title: a.name ?? `stage ${stage.id} rollback step ${i + 1}`, action: a });
  });
  return out;
}
