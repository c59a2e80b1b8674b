/**
 * `migrate promote`: end the canary hold that a running stage is in, now. The
 * request travels like an emergency's (a signal on this host, the holder's row
 * on PostgreSQL) but does not stop the run: the run journals the promotion
 * (who, why, how much hold was left) and goes on to its next weight. This
 * command waits until the journal shows it, so its exit code says what happened.
 */
import { randomUUID } from 'node:crypto';
import { DeclinedError, MigrateError, UsageError } from '../../errors.js';
import { describeHolder } from '../../journal/lockfile.js';
import { liveHolder } from '../../plan/readiness.js';
import { holdLeftMs, type Promotion, type Projection } from '../../journal/project.js';
import type { LockInfo } from '../../journal/types.js';
import type { Journal } from '../../journal/journal.js';
import { formatDuration } from '../../runbook/duration.js';
import type { GlobalOptions } from '../context.js';
import { out } from '../output.js';
import { createPrompter } from '../prompt.js';
import { identityTarget, openStore, operatorName } from '../store.js';

/** How long to wait for the run to act: it does after the sample round in progress, which a slow probe can stretch. */
const ACT_WAIT_MS = 30_000;

const nothing = (why: string, hint?: string) => new UsageError(`nothing to promote: ${why}`, hint);

/** The timed hold the live run is in, or why there is none. */
function runningHold(p: Projection, live: LockInfo | null): { stage: number; weight: number; leftMs: number | null } {
  const active = p.active;
  if (!live) {
    const resume = active?.canary
      ? `stage ${active.stage}'s canary stopped at ${active.canary.weight}%: 'migrate stage ${active.stage} --resume' goes on from there`
      : undefined;
    throw nothing('no stage is running', resume);
  }
  if (!active || (live.run_id && active.run_id !== live.run_id))
    throw nothing(`the run holding the lock is not running a stage: ${describeHolder(live)}`);
  const c = active.canary;
  if (!c || c.ended_at)
    throw nothing(`stage ${active.stage} is running but not holding a canary weight (last: ${active.last_event})`);
  if (c.hold_ms === null) {
    throw nothing(
      `stage ${active.stage}'s canary at ${c.weight}% is not in a timed hold`,
      "its weight is being set, or its hold is manual: answer the run's own question in its terminal",
    );
  }
  return { stage: active.stage, weight: c.weight, leftMs: holdLeftMs(c, true) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the journal shows our promotion, or that the hold ended some other way. */
async function acted(
  journal: Journal,
  name: string,
  id: string,
  hold: { stage: number; weight: number },
): Promise<Promotion> {
  const end = Date.now() + ACT_WAIT_MS;
  for (;;) {
    const p = await journal.project(name);
    if (p.last_promotion?.request_id === id) return p.last_promotion;
    const c = p.active?.stage === hold.stage ? p.active.canary : undefined;
    if (!c || c.weight !== hold.weight || c.stopped_at || c.ended_at) {
      throw nothing(
        `the hold at ${hold.weight}% ended before the run acted on the request`,
        "see 'migrate status' for where the stage is now",
      );
    }
    if (Date.now() > end) {
      throw new MigrateError(
        `the run has not acted on the request within ${ACT_WAIT_MS / 1000} s`,
        "it ends the hold after the sample round in progress; see 'migrate status' and 'migrate history'",
      );
    }
    await sleep(100);
  }
}

export default async function promote(_args: string[], opts: GlobalOptions & { reason?: string }) {
  if (!opts.reason)
    throw new UsageError(
      'promote requires --reason "<why>"',
      'ending a hold early cuts its watch short: the reason is journaled for everyone who reads the history',
    );
  const target = await identityTarget(opts);
  const { journal, lock } = await openStore(opts, target);
  try {
    const holder = await lock.holder();
    const live = liveHolder(holder);
    const hold = runningHold(await journal.project(target.name), live);
    const left = hold.leftMs === null ? '' : ` (${formatDuration(hold.leftMs)} of its hold left)`;
    const ok = await createPrompter(opts).confirm(
      `End stage ${hold.stage}'s canary hold at ${hold.weight}% now${left} and go on to the next weight?`,
    );
    if (!ok) throw new DeclinedError('promote declined', 'the hold goes on');
    const id = randomUUID();
    await lock.request(live!, {
      kind: 'promote',
      id,
      run_id: live!.run_id,
      operator: operatorName(),
      reason: opts.reason,
      at: new Date().toISOString(),
      stage: hold.stage,
      weight: hold.weight,
    });
    const done = await acted(journal, target.name, id, hold);
    out(
      `promoted stage ${done.stage}'s canary past ${done.weight}%, journaled as by ${done.by}: ${done.reason}; the run goes on`,
    );
  } finally {
    await journal.close();
  }
}
