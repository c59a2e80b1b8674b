import { error, type Finding } from '../diagnostics.js';
import type { Runbook } from '../types.js';
import { checks } from '../walk.js';
import { queryOffset } from '../../probes/index.js';

/**
 * Check names are unique within one list (the guards, a stage's preflight,
 * window or verify): breaches, samples and baselines name the check, and two
 * checks with one name would read as one. A guard and a window check may
 * share a name; the engine keeps them apart by where they are declared.
 */
export function checkNamesUnique(rb: Runbook): Finding[] {
  const seen = new Map<string, string>();
  const out: Finding[] = [];
  for (const { value: c, path, stage, section } of checks(rb)) {
    const key = `${stage?.id ?? 'guards'}/${section}/${c.name}`;
    const where = stage ? `stage ${stage.id}'s ${section} checks` : 'the guards';
    const message = `two checks named '${c.name}' in ${where}; give each a name of its own`;
    if (seen.has(key)) out.push(error([...path, 'name'], 'check-name-duplicate', message));
    else seen.set(key, where);
  }
  return out;
}

/** `baseline: { query_offset }` shifts a PromQL query back in time: only a prometheus check has one. */
export function queryOffsetNeedsPrometheus(rb: Runbook): Finding[] {
  return [...checks(rb)]
    .filter(({ value: c }) => queryOffset(c) !== undefined && c.prometheus === undefined)
    .map(({ path }) =>
      error(
        [...path, 'baseline', 'query_offset'],
        'baseline-offset',
        'baseline.query_offset re-runs a Prometheus query shifted back: it needs a prometheus probe; use baseline: true or { samples } here',
        { atKey: true },
      ),
    );
}
