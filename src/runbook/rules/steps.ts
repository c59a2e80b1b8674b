import { didYouMean, error, quote, type Finding, type Path } from '../diagnostics.js';
import { PROBE_KEYS } from '../../probes/index.js';
import { needsCycles } from '../order.js';
import { ACTION_KEYS, stepId, type Runbook } from '../types.js';
import { actions, checks } from '../walk.js';

export function stepIdsUnique(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, s) => {
    const seen = new Set<string>();
    return (stage.steps ?? []).flatMap((step, i) => {
      const id = stepId(step, i);
      if (seen.has(id))
        return [
          error(
            ['stages', s, 'steps', i, step.id ? 'id' : 'name'],
            'step-id-duplicate',
            `step id '${quote(id)}' is used twice in stage ${stage.id}`,
          ),
        ];
      seen.add(id);
      return [];
    });
  });
}

export function needsExist(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, s) => {
    const ids = (stage.steps ?? []).map(stepId);
    const known = new Set(ids);
    return (stage.steps ?? []).flatMap((step, i) =>
      (step.needs ?? []).flatMap((need, k) => {
        const path: Path = ['stages', s, 'steps', i, 'needs', k];
        if (need === stepId(step, i)) return [error(path, 'needs-self', `step '${quote(need)}' cannot need itself`)];
        if (!known.has(need))
          return [
            error(
              path,
              'needs-unknown',
              `step '${quote(stepId(step, i))}' needs '${quote(need)}', which is not a step of stage ${stage.id}${didYouMean(need, ids)}`,
            ),
          ];
        return [];
      }),
    );
  });
}

/** A cycle as `a -> b -> a`; a long one shows its ends. */
function showCycle(cycle: string[]): string {
  const ids = cycle.map((id) => quote(id, 40));
  return ids.length <= 12
    ? ids.join(' -> ')
    : `${ids.slice(0, 6).join(' -> ')} -> … (${ids.length - 11} more) -> ${ids.slice(-5).join(' -> ')}`;
}

/** The needs graph, with declared order's implicit edges, has no cycle; each is reported once, with its path. */
export function needsAcyclic(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, s) =>
    needsCycles(stage.steps ?? []).map(({ cycle, index }) => {
      const implicit = (stage.steps ?? []).some(
        (st, i) => st.needs === undefined && i > 0 && cycle.includes(stepId(st, i)),
      );
      return error(
        ['stages', s, 'steps', index, 'needs'],
        'needs-cycle',
        `steps of stage ${stage.id} need each other in a cycle: ${showCycle(cycle)}` +
          (implicit ? ' (a step without needs waits for the step declared before it)' : ''),
      );
    }),
  );
}

/** Exactly one of run/sql/http/pause/flag in every action. */
export function oneAction(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const { value, path, role } of actions(rb)) {
    const present = ACTION_KEYS.filter((k) => value[k] !== undefined);
    if (present.length !== 1) {
      const what =
        role === 'step'
          ? 'a step'
          : role === 'undo'
            ? 'an undo'
            : role === 'rollback'
              ? 'a rollback step'
              : 'a canary set step';
      out.push(
        error(
          path,
          'action-count',
          present.length === 0
            ? `${what} needs one action: ${ACTION_KEYS.join(', ')}`
            : `${what} has ${present.length} actions (${present.join(', ')}); give exactly one`,
        ),
      );
    }
  }
  return out;
}

/** SQL-only keys only make sense on sql actions. */
export function sqlKeysOnSql(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  const keys = ['database', 'transaction', 'lock_timeout', 'statement_timeout', 'undo_sql', 'allow'] as const;
  for (const { value, path } of actions(rb)) {
    if (value.sql !== undefined) continue;
    for (const k of keys) {
      if ((value as Record<string, unknown>)[k] !== undefined)
        out.push(error([...path, k], 'sql-only', `'${k}' applies only to sql steps`, { atKey: true }));
    }
  }
  return out;
}

export function oneProbe(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const { value, path } of checks(rb)) {
    const present = PROBE_KEYS.filter((k) => value[k] !== undefined);
    if (present.length !== 1) {
      out.push(
        error(
          path,
          'probe-count',
          present.length === 0
            ? `check '${value.name}' needs one probe: command, http or sql`
            : `check '${value.name}' has ${present.length} probes (${present.join(', ')}); give exactly one`,
        ),
      );
    }
    if (value.database !== undefined && value.sql === undefined)
      out.push(error([...path, 'database'], 'sql-only', `'database' applies only to sql checks`, { atKey: true }));
  }
  return out;
}
