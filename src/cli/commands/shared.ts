/** Follow-ups several commands share. */
import { randomUUID } from 'node:crypto';
import { runRollbackCommand } from '../../engine/run.js';
import { WaitClock } from '../../engine/clock.js';
import type { RunContext } from '../../engine/context.js';
import type { GlobalOptions } from '../context.js';
import { PreemptedError } from '../../errors.js';
import { err } from '../output.js';
import { canPrompt } from '../prompt.js';
import type { ListrBoard } from '../listr-board.js';

/** After Ctrl-C: ask whether to roll back (non-interactive: do not). */
export async function interruptedFollowUp(ctx: RunContext, opts: GlobalOptions, board?: ListrBoard): Promise<void> {
  await board?.finish();
  if (ctx.signal.reason instanceof PreemptedError) {
    err(`${ctx.signal.reason.message}; this run stopped and let go of the lock`);
    return;
  }
  const p = await ctx.journal.project(ctx.runbook.name);
  if (!p.active) return; // interrupted before the stage changed anything
  if (!canPrompt() || opts.json) {
    err("interrupted: the stage is left as it is; run 'migrate rollback' or 'migrate stage N --resume'");
    return;
  }
  const { confirm } = await import('@inquirer/prompts');
  const yes = await confirm({ message: 'Interrupted. Roll the stage back now?', default: true }).catch(() => false);
  if (!yes) return;
  const fresh = { ...ctx, runId: randomUUID(), signal: new AbortController().signal, waited: new WaitClock(ctx.clock) };
  await runRollbackCommand(fresh, { emergency: false, reason: 'interrupted by the operator' });
}
