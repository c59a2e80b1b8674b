/**
 * Which checks a stage watches, each under a unique identity ("guard:latency"
 * and "monitor:latency" are different checks), and their baselines: taken
 * once before the stage changes anything, journaled in stage.started, and
 * reused by the window, verify, `check` and --resume.
 */
import { parseDuration } from '../runbook/duration.js';
import type { Check, Runbook, Stage } from '../runbook/types.js';
import { sampleCheck, type CheckContext } from './checks.js';
import type { Clock } from './clock.js';
import { queryOffset } from '../probes/index.js';

/** A check under its identity: where it is declared, then its name. */
export interface Watched {
  id: string;
  check: Check;
}

export type Role = 'guard' | 'preflight' | 'monitor' | 'canary' | 'verify';
export const watched = (role: Role, checks: Check[] | undefined): Watched[] =>
  (checks ?? []).map((check) => ({ id: `${role}:${check.name}`, check }));

/** A stage's checks by where they run; the window's are its own plus the guards. */
export function stageChecks(rb: Runbook, stage: Stage) {
  const guards = watched('guard', rb.guards);
  const own = stage.canary ? watched('canary', stage.canary.checks) : watched('monitor', stage.monitor?.checks);
  const window = [...own, ...guards];
  return { preflight: watched('preflight', stage.preflight), window, verify: watched('verify', stage.verify) };
}

export type Baselines = Map<string, unknown>;

/** The middle value (the mean of the middle two); numbers only, else the first value with data. */
export function median(values: unknown[]): unknown {
  const data = values.filter((v) => v !== null && v !== undefined && v !== '');
  const nums = data.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!nums.length) return data[0] ?? null;
  const mid = nums.length >> 1;
  return nums.length % 2 ? nums[mid] : (nums[mid - 1]! + nums[mid]!) / 2;
}

const DEFAULT_EVERY = 10_000;

/** Sample each baseline check (`samples` times, `every` apart: the median). Checks run in parallel. */
export async function takeBaselines(
  ctx: CheckContext & { clock: Clock },
  checks: Watched[],
  onEach?: (id: string, value: unknown) => void,
): Promise<Baselines> {
  const out: Baselines = new Map();
  // A query_offset baseline is measured by its probe at every sample instead.
  await Promise.all(
    checks
      .filter((w) => w.check.baseline && !queryOffset(w.check))
      .map(async ({ id, check }) => {
        const spec =
          typeof check.baseline === 'object' && 'samples' in check.baseline ? check.baseline : { samples: 1 };
        const every = spec.every ? parseDuration(spec.every)! : DEFAULT_EVERY;
        const values: unknown[] = [];
        for (let i = 0; i < spec.samples; i++) {
          if (i > 0) await ctx.clock.sleep(every, ctx.signal);
          if (ctx.signal?.aborted) break;
          // `expect: true` reads the probe's value without judging it.
          const s = await sampleCheck({ ...check, expect: 'true', baseline: false }, ctx);
          values.push(s.result === 'error' ? null : s.value);
        }
        const value = median(values);
        out.set(id, value);
        onEach?.(id, value);
      }),
  );
  return out;
}
