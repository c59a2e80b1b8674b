/** A monitor window: sample every interval for the duration; breach on the limits (SPEC 2.2). */
import { BreachError, DeclinedError, InterruptedError } from '../errors.js';
import { EventName } from '../journal/events.js';
import type { OnBreach, OnNoData } from '../runbook/types.js';
import type { Baselines, Watched } from './baselines.js';
import { sampleCheck } from './checks.js';
import { record, sleep, waiting, type RunContext } from './context.js';

export interface WindowSpec {
  id: string;
  durationMs: number;
  intervalMs: number;
  /** Each check under its identity: counters are kept per identity, never per name. */
  checks: Watched[];
  tolerate: number;
  errorLimit: number;
  onBreach: OnBreach;
  /** The window's default for checks without their own `on_no_data`. */
  onNoData: OnNoData;
  /** A canary hold the operator may end early (promote): the window ends after the sample round in progress. */
  endEarly?: AbortSignal;
}

const ordinal = (n: number) =>
  `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** No one to ask counts as "no"; an interrupt at the prompt stays an interrupt. */
function declinedIsNo(e: unknown): false {
  if (e instanceof DeclinedError) return false;
  throw e;
}

/** Resolves with null when the window ran its course, or the time it had left when `endEarly` ended it. */
export async function watchWindow(ctx: RunContext, w: WindowSpec, baselines: Baselines): Promise<number | null> {
  await record(ctx, EventName.WindowStarted, { window: w.id, duration_ms: w.durationMs, interval_ms: w.intervalMs });
  const failed = new Map<string, number>();
  const errors = new Map<string, number>();
  const start = ctx.clock.now();
  const end = start + w.durationMs;
  let samples = 0;
  const reset = (key: string) => {
    failed.set(key, 0);
    errors.set(key, 0);
  };
  for (;;) {
    const round = await Promise.all(
      w.checks.map(({ id, check }) => sampleCheck(check, ctx, { baseline: baselines.get(id), onNoData: w.onNoData })),
    );
    if (ctx.signal.aborted) throw new InterruptedError(`interrupted during ${windowName(w.id)}`);
    samples++;
    for (const [i, s] of round.entries()) {
      let result = s.result;
      if (result === 'inconclusive') {
        // Ask a person; without one, no data counts against the change.
        const goOn =
          !ctx.prompter.interactive || ctx.prompter.assumeYes
            ? false
            : await waiting(ctx, () =>
                ctx.prompter.confirm(`${s.message}. Go on with the window?`).catch(declinedIsNo),
              );
        result = goOn ? 'passed' : 'failed';
      }
      const key = w.checks[i]!.id;
      failed.set(key, result === 'failed' ? (failed.get(key) ?? 0) + 1 : 0);
      errors.set(key, result === 'error' ? (errors.get(key) ?? 0) + 1 : 0);
      const counts = { consecutiveFailed: failed.get(key)!, consecutiveErrors: errors.get(key)! };
      await record(ctx, EventName.Sample, {
        window: w.id,
        check: s.check,
        check_id: key,
        probe: s.probe,
        value: s.value,
        expect: s.expect,
        result: s.result,
        counted_as: result,
        message: s.message,
        ...counts,
      });
      ctx.reporter.sample(w.id, { ...s, result }, counts);
      let why: string | null = null;
      if (counts.consecutiveFailed > w.tolerate)
        why = `${s.message} (${ordinal(counts.consecutiveFailed)} consecutive failure, tolerate ${w.tolerate})`;
      else if (counts.consecutiveErrors >= w.errorLimit)
        why = `${s.message} (${ordinal(counts.consecutiveErrors)} consecutive probe error, error_limit ${w.errorLimit})`;
      if (why) {
        await record(ctx, EventName.Breach, {
          window: w.id,
          check: s.check,
          check_id: key,
          value: s.value,
          reason: why,
          on_breach: w.onBreach,
        });
        if (w.onBreach === 'continue') {
          ctx.reporter.message(`breach recorded, continuing: ${why}`);
          reset(key);
          continue;
        }
        if (w.onBreach === 'pause') {
          const goOn = await waiting(ctx, () =>
            ctx.prompter.confirm(`Breach: ${why}. Continue the window instead of rolling back?`).catch(declinedIsNo),
          );
          if (goOn) {
            reset(key);
            continue;
          }
        }
        throw new BreachError(why, s, w.id);
      }
    }
    const left = end - ctx.clock.now();
    ctx.reporter.countdown(w.id, Math.max(0, left), samples);
    if (left <= 0) return null;
    // The round just taken was judged above: a promote never skips a breach that was already sampled.
    if (w.endEarly?.aborted) return left;
    await sleep(ctx, Math.min(w.intervalMs, left), w.endEarly ? AbortSignal.any([ctx.signal, w.endEarly]) : ctx.signal);
    if (ctx.signal.aborted) throw new InterruptedError(`interrupted during ${windowName(w.id)}`);
    if (w.endEarly?.aborted) return Math.max(0, end - ctx.clock.now());
  }
}

/** A window as people call it: the monitor window, or the canary's hold at its weight. */
function windowName(id: string): string {
  const weight = /^canary:(\d+)$/.exec(id)?.[1];
  return weight !== undefined ? `the canary hold at ${weight}%` : `the ${id} window`;
}
