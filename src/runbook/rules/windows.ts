import { error, warning, type Finding, type Path } from '../diagnostics.js';
import { formatDuration, parseDuration } from '../duration.js';
import { acrossContexts } from '../durations.js';
import { referencedNames } from '../template.js';
import { asAction, type Runbook } from '../types.js';

/**
 * A window must take more than one sample: a monitor's interval is shorter
 * than its duration, a canary's than each hold. Checked for the defaults and
 * for every environment, since durations may come from vars.
 */
export function intervalsShorter(rb: Runbook): Finding[] {
  return acrossContexts(rb, (resolved) =>
    resolved.stages.flatMap((stage, s) => {
      const out: Finding[] = [];
      const m = stage.monitor;
      const d = parseDuration(m?.duration ?? '');
      const i = parseDuration(m?.interval ?? '');
      if (d !== undefined && i !== undefined && i >= d) {
        out.push(
          error(
            ['stages', s, 'monitor', 'interval'],
            'interval-too-long',
            `monitor interval ${m!.interval} must be shorter than its duration ${m!.duration}`,
          ),
        );
      }
      const c = stage.canary;
      const every = parseDuration(c?.interval ?? '');
      for (const w of c && every !== undefined ? c.weights : []) {
        const hold = parseDuration((typeof w === 'number' ? c!.hold : (w.hold ?? c!.hold)) ?? '');
        const weight = typeof w === 'number' ? w : w.weight;
        if (hold !== undefined && every! >= hold) {
          out.push(
            error(
              ['stages', s, 'canary', 'interval'],
              'interval-too-long',
              `canary interval ${c!.interval} must be shorter than the ${formatDuration(hold)} hold at weight ${weight}`,
            ),
          );
        }
      }
      return out;
    }),
  );
}

export function monitorHasChecks(rb: Runbook): Finding[] {
  return rb.stages.flatMap((stage, s) =>
    stage.monitor && !stage.monitor.checks?.length && !rb.guards?.length
      ? [
          warning(
            ['stages', s, 'monitor'],
            'monitor-empty',
            `stage ${stage.id}'s monitor window has no checks and the runbook has no guards: it only waits`,
            { atKey: true },
          ),
        ]
      : [],
  );
}

export function canaryShape(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const [s, stage] of rb.stages.entries()) {
    const c = stage.canary;
    if (!c) continue;
    const base: Path = ['stages', s, 'canary'];
    let prev = -1;
    c.weights.forEach((w, i) => {
      const weight = typeof w === 'number' ? w : w.weight;
      const hold = typeof w === 'number' ? c.hold : (w.hold ?? c.hold);
      if (weight <= prev)
        out.push(
          error([...base, 'weights', i], 'canary-weights', `canary weights must increase: ${weight} follows ${prev}`),
        );
      prev = weight;
      if (hold === undefined)
        out.push(
          error(
            [...base, 'weights', i],
            'canary-hold',
            `weight ${weight} has no hold; give 'hold' for the canary or for this weight`,
          ),
        );
    });
    const set = asAction(c.set);
    const texts = [set.run, set.http?.url, set.http?.body, set.sql]
      .flat()
      .filter((t): t is string => typeof t === 'string');
    if (!texts.some((t) => referencedNames(t).some((r) => r.name === 'weight'))) {
      out.push(
        warning(
          [...base, 'set'],
          'canary-set-weight',
          `the canary's set step never uses \${weight}, so every weight sets the same thing`,
        ),
      );
    }
    if (stage.monitor)
      out.push(
        error(
          ['stages', s, 'monitor'],
          'canary-monitor',
          `a canary stage watches its checks during each hold; move the monitor checks into canary.checks`,
          { atKey: true },
        ),
      );
  }
  return out;
}
