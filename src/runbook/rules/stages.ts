import { error, warning, type Finding } from '../diagnostics.js';
import type { Runbook } from '../types.js';

/** Stages are numbered 1..N in file order, so `stage N` is unambiguous. */
export function stageIdsContiguous(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, i) =>
    stage.id === i + 1
      ? []
      : [
          error(
            ['stages', i, 'id'],
            'stage-order',
            `stage ids must be 1..N in order: expected ${i + 1} here, found ${stage.id}`,
          ),
        ],
  );
}

export function stageNamesUnique(rb: Runbook): Finding[] {
  const seen = new Map<string, number>();
  return rb.stages.flatMap((stage, i) => {
    const first = seen.get(stage.name);
    seen.set(stage.name, first ?? stage.id);
    return first === undefined
      ? []
      : [
          warning(
            ['stages', i, 'name'],
            'stage-name-duplicate',
            `stage ${stage.id} has the same name as stage ${first}; operators type stage names at critical gates`,
          ),
        ];
  });
}

/** A stage must be undoable, or say that it is not (SPEC 3). */
export function stageHasRollback(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, i) => {
    if (stage.irreversible) return [];
    const undoable =
      (stage.rollback?.length ?? 0) > 0 ||
      stage.canary !== undefined ||
      (stage.steps ?? []).some((s) => s.undo !== undefined || s.undo_sql !== undefined || s.flag !== undefined);
    const acts = (stage.steps ?? []).length > 0 || stage.canary !== undefined;
    return undoable || !acts
      ? []
      : [
          warning(
            ['stages', i, 'name'],
            'no-rollback',
            `stage ${stage.id} has no step undo and no rollback steps; add them, or mark it 'irreversible: true'`,
          ),
        ];
  });
}

/** A stage does something: steps, a canary, or at least checks. */
export function stageNotEmpty(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, i) =>
    stage.steps?.length || stage.canary || stage.monitor || stage.verify?.length || stage.preflight?.length
      ? []
      : [warning(['stages', i], 'empty-stage', `stage ${stage.id} has no steps, canary, monitor or checks`)],
  );
}
