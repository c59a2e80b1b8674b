/**
 * What rolling a stage back runs: a canary's traffic back to 0 first, then
 * the undo of each completed step in reverse completion order (a flag step's
 * undo restores exactly what the journal recorded), then the stage's rollback
 * steps. Shared by the engine, `plan --rollback` and `plan`'s rollback list, so the preview is what runs.
 */
import { asAction, stepId, type Action, type Stage, type Step } from '../runbook/types.js';

export interface RollbackAction {
  /** The step it undoes, 'canary', or `rollback-N` for the stage's own rollback steps. */
  source: string;
  kind: 'canary' | 'undo' | 'stage';
  title: string;
  action: Action;
  /** Extra template names (a canary's ${weight}). */
  with?: Record<string, string>;
  /** In a preview, what it does where only the journal will tell (a flag's previous value). */
  pending?: string;
}

/** What the journal recorded while the stage ran (see the flag.set and canary.weight events). */
export type StageRecords = Record<string, unknown>;

interface FlagRecord {
  name: string;
  previous: { exists: boolean; value?: unknown };
}
export interface CanaryRecord {
  weight: number;
  previous: number;
}

/** What the journal shows of a stage: its completed steps and their records; null for a preview (every step, nothing recorded). */
type Ran = { completed: string[]; records: StageRecords } | null;

function undoOf(s: Step, step: string, ran: Ran): Pick<RollbackAction, 'action' | 'pending'> | null {
  if (s.undo !== undefined) return { action: asAction(s.undo) };
  // An undo runs like its step: same database, same transaction mode (DROP INDEX CONCURRENTLY needs none).
  if (s.undo_sql !== undefined)
    return {
      action: {
        sql: s.undo_sql,
        database: s.database,
        transaction: s.transaction,
        lock_timeout: s.lock_timeout,
        statement_timeout: s.statement_timeout,
      },
    };
  if (!s.flag) return null;
  if (!ran)
    return {
      action: { flag: { name: s.flag.name, value: null } },
      pending: `restore flag ${s.flag.name} to its previous value`,
    };
  const rec = ran.records[`step:${step}`] as FlagRecord | undefined;
  // Without a record the flag was never written: nothing to restore.
  if (!rec) return null;
  return {
    action: {
      flag: {
        name: rec.name,
        value: null,
        restore: { exists: rec.previous.exists, value: rec.previous.value as never },
      },
    },
  };
}

/** What rolling `stage` back runs, in order; `undone` (sources the journal shows done by a killed rollback) are left out. */
export function rollbackActions(
  stage: Stage,
  completed: string[],
  records: StageRecords = {},
  undone: string[] = [],
): RollbackAction[] {
  return planned(stage, { completed, records }).filter((a) => !undone.includes(a.source));
}

/** Everything rolling `stage` back can run, as if every step completed and the canary set a weight: what `plan` lists. */
export function rollbackPreview(stage: Stage): RollbackAction[] {
  return planned(stage, null);
}

function planned(stage: Stage, ran: Ran): RollbackAction[] {
  const out: RollbackAction[] = [];
  const canary = ran ? (ran.records.canary as CanaryRecord | undefined) : null;
  if (stage.canary && canary !== undefined) {
    const set = typeof stage.canary.set === 'string' ? { run: stage.canary.set } : stage.canary.set;
    const undo = set.undo !== undefined ? asAction(set.undo) : null;
    const title = canary ? `traffic from ${canary.weight}% back to 0%` : 'traffic back to 0%';
    out.push({ source: 'canary', kind: 'canary', title, action: undo ?? set, with: { weight: '0' } });
  }
  const steps = new Map((stage.steps ?? []).map((s, k) => [stepId(s, k), s]));
  for (const step of [...(ran ? ran.completed : steps.keys())].reverse()) {
    const s = steps.get(step);
    const undo = s && undoOf(s, step, ran);
    if (undo) out.push({ source: step, kind: 'undo', title: `undo ${step}`, ...undo });
  }
  (stage.rollback ?? []).forEach((r, i) => {
    const a = asAction(r);
    out.push({
      source: `rollback-${i + 1}`,
      kind: 'stage',
      title: a.name ?? (ran ? `stage ${stage.id} rollback step ${i + 1}` : `rollback step ${i + 1}`),
      action: a,
    });
  });
  return out;
}
