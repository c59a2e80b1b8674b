import { UsageError } from '../../errors.js';
import { runRollbackCommand } from '../../engine/run.js';
import { rollbackTargets } from '../../plan/readiness.js';
import { parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { createSession } from '../session.js';

export default async function rollback(_args: string[], opts: GlobalOptions & { to?: string; emergency?: boolean; reason?: string }) {
  if (opts.emergency && !opts.reason) throw new UsageError('--emergency requires --reason "<why>"', 'the reason is journaled for everyone who reads the history');
  const to = opts.to !== undefined ? parseStageNumber(opts.to, '--to') : undefined;
  const session = await createSession(opts);
  const { ctx } = session;
  try {
    const targets = rollbackTargets(await ctx.journal.project(ctx.runbook.name), { to, emergency: Boolean(opts.emergency), reason: opts.reason ?? null });
    if (!targets.length) {
      out('nothing to roll back');
      return;
    }
    // One confirmation at most, none with --yes.
    const what = `Roll back stage${targets.length > 1 ? 's' : ''} ${targets.map((t) => t.stage).join(', ')}${opts.emergency ? ' (EMERGENCY: no waits, no checks, past failures)' : ''}?`;
    if (!(await ctx.prompter.confirm(what))) throw new (await import('../../errors.js')).DeclinedError('rollback declined');
    const done = await runRollbackCommand(ctx, { to, emergency: Boolean(opts.emergency), reason: opts.reason ?? null });
    out(chalk.green(`rolled back stage${done.length > 1 ? 's' : ''} ${done.join(', ')}`));
  } finally {
    await session.dispose();
  }
}
