import { DeclinedError, UsageError } from '../../errors.js';
import { runRollbackCommand } from '../../engine/run.js';
import { describeHolder } from '../../journal/lockfile.js';
import { liveHolder, planRollback } from '../../plan/readiness.js';
import { parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { createSession } from '../session.js';

/** How long a running stage gets to stop after an emergency asks it to (then it is killed, or on PostgreSQL refused). */
const PREEMPT_WAIT_MS = 5_000;

export default async function rollback(
  _args: string[],
  opts: GlobalOptions & { to?: string; emergency?: boolean; reason?: string },
) {
  if (opts.emergency && !opts.reason)
    throw new UsageError(
      '--emergency requires --reason "<why>"',
      'the reason is journaled for everyone who reads the history',
    );
  const to = opts.to !== undefined ? parseStageNumber(opts.to, '--to') : undefined;
  // An emergency is not refused for a bad --set value (only what uses that value is) nor held up by the SQL lint (see LoadHow).
  const session = await createSession(opts, { lenientValues: Boolean(opts.emergency), sqlLint: !opts.emergency });
  const { ctx } = session;
  const rollbackOpts = { to, emergency: Boolean(opts.emergency), reason: opts.reason ?? null };
  try {
    // An emergency pre-empts a running stage: that run stops, journals why, lets go of the lock, and everything is rolled back.
    const holder = opts.emergency ? await ctx.lock.holder() : null;
    const running = liveHolder(holder);
    const { targets, stop } = planRollback(await ctx.journal.project(ctx.runbook.name), rollbackOpts, ctx.runbook);
    if (!targets.length && !running && !stop) {
      out('nothing to roll back');
      return;
    }
    // One confirmation at most, none with --yes.
    const what = running
      ? `Stop the run of ${describeHolder(running)} and roll back everything (EMERGENCY: no waits, no checks, past failures)?`
      : `Roll back stage${targets.length > 1 ? 's' : ''} ${targets.map((t) => t.stage).join(', ')}${opts.emergency ? ' (EMERGENCY: no waits, no checks, past failures)' : ''}?`;
    if ((targets.length || running) && !(await ctx.prompter.confirm(what)))
      throw new DeclinedError('rollback declined');
    if (running) {
      await ctx.lock.preempt(
        running,
        { run_id: running.run_id, operator: ctx.operator, reason: opts.reason!, at: new Date().toISOString() },
        PREEMPT_WAIT_MS,
      );
      out(`stopped the run of ${describeHolder(running)}`);
    }
    const done = await runRollbackCommand(ctx, rollbackOpts);
    await session.settle();
    out(
      done.length
        ? chalk.green(`rolled back stage${done.length > 1 ? 's' : ''} ${done.join(', ')}`)
        : 'nothing to roll back',
    );
  } finally {
    await session.dispose();
  }
}
