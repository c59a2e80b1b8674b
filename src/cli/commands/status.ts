import { currentStage, describeState, holdLeftMs, runsAsSeen } from '../../journal/project.js';
import { RunState, type LockInfo } from '../../journal/types.js';
import type { Projection } from '../../journal/project.js';
import { drift, driftNote, liveHolder, lostStage, runState } from '../../plan/readiness.js';
import type { GlobalOptions } from '../context.js';
import { identityTarget, openStore, type Store } from '../store.js';

type Where = Store['where'];

/** What `status --json` prints (the tests read it typed). */
export function statusJson(name: string, digest: string, p: Projection, holder: LockInfo | null, where: Where) {
  const live = liveHolder(holder);
  const state = runState(p, Boolean(live));
  const drifted = drift(p, digest);
  return {
    runbook: name,
    current_stage: currentStage(p),
    /** What a read saw that the journal lost: every rollback refuses while it is set. */
    lost: p.lost ? { stage: p.lost.stage, seen: p.lost.seen, journal: describeState(p) } : null,
    state,
    lock: holder && {
      pid: holder.pid,
      host: holder.host,
      operator: holder.operator,
      since: holder.since,
      stale: !live,
    },
    last_run: runsAsSeen(p, live).at(-1) ?? null,
    active: p.active && {
      stage: p.active.stage,
      completed_steps: p.active.completed.map((c) => c.step),
      in_doubt: p.active.in_doubt,
      last_event: p.active.last_event,
      last_step: p.active.last_step,
    },
    dirty: p.dirty && { stage: p.dirty.stage, reason: p.dirty.reason },
    rolling_back: p.rolling && {
      stage: p.rolling.stage,
      to: p.rolling.to,
      emergency: p.rolling.emergency,
      undone: p.rolling.undone,
      in_doubt: p.rolling.in_doubt?.source ?? null,
    },
    drift: drifted.length ? { stages: drifted, message: 'the runbook changed since these stages were applied' } : null,
    journal: where,
    canary: p.active?.canary
      ? {
          stage: p.active.stage,
          weight: p.active.canary.weight,
          hold_ms: p.active.canary.hold_ms,
          hold_left_ms: holdLeftMs(p.active.canary, Boolean(live)),
          holding: Boolean(live) && !p.active.canary.stopped_at && !p.active.canary.ended_at,
        }
      : null,
  };
}
export type StatusJson = ReturnType<typeof statusJson>;

/** Status reads the journal's projection only: fast on a long journal, and works on a runbook that no longer validates. */
export default async function status(_args: string[], opts: GlobalOptions) {
  const target = await identityTarget(opts);
  const { name, digest } = target;
  const { journal, lock, where } = await openStore(opts, target);
  const p = await journal.project(name);
  await journal.close();
  // Damage goes to stderr so `status --json` stays parseable; status itself still answers.
  for (const line of [...(p.notes ?? []), ...(p.damage ?? [])]) process.stderr.write(`warning: journal: ${line}\n`);
  const lost = lostStage(p);
  // Text output says it on stdout, in place of advice that would name refused rollbacks.
  if (lost && opts.json)
    process.stderr.write(`warning: every rollback refuses: ${lost.message}\n  next: ${lost.hint}\n`);
  const holder = await lock.holder();
  const live = liveHolder(holder);
  const result = statusJson(name, digest, p, holder, where);
  const { state } = result;
  const drifted = result.drift?.stages ?? [];
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const { chalk, out } = await import('../output.js');
  const colour = { clean: chalk.green, in_progress: chalk.cyan, interrupted: chalk.yellow, dirty: chalk.red }[state];
  out(`${chalk.bold(name)}: stage ${result.current_stage} · ${colour(state)}`);
  // The advice below would name rollbacks that refuse: the loss's way out comes first, instead.
  if (lost) out(chalk.red(`${lost.message}: every rollback refuses. Next: ${lost.hint}`));
  if (p.active && !p.rolling && state === RunState.Interrupted) {
    out(
      chalk.yellow(
        `stage ${p.active.stage} did not finish (last: ${p.active.last_event}${p.active.last_step ? ` at ${p.active.last_step}` : ''}; completed: ${p.active.completed.map((c) => c.step).join(', ') || 'none'}).`,
      ),
    );
    if (p.active.in_doubt.length)
      out(chalk.yellow(`in doubt (started, no outcome; may have run partly): ${p.active.in_doubt.join(', ')}`));
    if (!lost)
      out(
        chalk.yellow(`run 'migrate rollback' to undo it, or 'migrate stage ${p.active.stage} --resume' to finish it`),
      );
  }
  if (p.rolling && state === RunState.Interrupted) {
    out(
      chalk.yellow(
        `rolling back stage ${p.rolling.stage}, interrupted (undone so far: ${p.rolling.undone.join(', ') || 'nothing'}).`,
      ),
    );
    if (p.rolling.in_doubt)
      out(chalk.yellow(`in doubt (started, no outcome; may have run partly): ${p.rolling.in_doubt.title}`));
    if (!lost)
      out(
        chalk.yellow(
          `run '${p.rolling.emergency ? 'migrate rollback --emergency --reason "..."' : 'migrate rollback'}' to finish it: undos the journal shows done are not run again`,
        ),
      );
  }
  if (result.canary) {
    const c = result.canary;
    const { formatDuration } = await import('../../runbook/duration.js');
    const left =
      c.hold_left_ms === null
        ? ''
        : p.active?.canary?.ended_at
          ? `, its ${formatDuration(c.hold_ms!)} hold is over`
          : c.holding
            ? `, ${formatDuration(c.hold_left_ms)} of its ${formatDuration(c.hold_ms!)} hold left ('migrate promote' ends it now)`
            : p.rolling
              ? `, hold interrupted (the stage is being rolled back)`
              : `, hold interrupted with ${formatDuration(c.hold_left_ms)} left of ${formatDuration(c.hold_ms!)} ('migrate stage ${c.stage} --resume' holds only for that)`;
    out(`canary: ${c.weight}%${left}`);
  }
  if (p.dirty)
    out(
      chalk.red(
        `dirty: the rollback of stage ${p.dirty.stage} failed: ${p.dirty.reason}. Fix it by hand, then run 'migrate rollback' again.`,
      ),
    );
  if (holder)
    out(
      `lock: ${holder.operator}, pid ${holder.pid} on ${holder.host}, since ${holder.since}${live ? '' : chalk.yellow(' (stale: the process is gone; the next run takes it over)')}`,
    );
  const last = result.last_run;
  if (last)
    out(
      `last run: ${last.command} by ${last.operator}, ${last.outcome ?? 'running'}${last.reason ? ` (${last.reason})` : ''}, ${last.started_at}`,
    );
  if (result.drift) out(chalk.yellow(`drift: ${driftNote(drifted)}`));
  // A journal that is gone while the snapshot remembers it is a loss (said above), not a fresh state dir.
  if (!where.exists && !p.damage?.length)
    out(
      chalk.yellow(
        `no journal yet at ${where.location}: nothing has run with this state dir (runs elsewhere use another --state-dir or --journal)`,
      ),
    );
  else if (!where.exists) out(chalk.yellow(`no journal at ${where.location}`));
  else out(chalk.dim(`journal: ${where.location} (${where.source})`));
}
