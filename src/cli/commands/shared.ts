/** Follow-ups several commands share. */
import { randomUUID } from 'node:crypto';
import { runRollbackCommand } from '../../engine/run.js';
import type { RunContext } from '../../engine/context.js';
import type { GlobalOptions } from '../context.js';
import { err } from '../output.js';
import { canPrompt } from '../prompt.js';

/** After Ctrl-C: ask whether to roll back (non-interactive: do not). */
export async function interruptedFollowUp(ctx: RunContext, opts: GlobalOptions): Promise<void> {
  if (!canPrompt() || opts.json) {
    err("interrupted: the stage is left as it is; run 'migrate rollback' or 'migrate stage N --resume'");
    return;
  }
  const { confirm } = await import('@inquirer/prompts');
  const yes = await confirm({ message: 'Interrupted. Roll the stage back now?', default: true }).catch(() => false);
  if (!yes) return;
  const fresh = { ...ctx, runId: randomUUID(), signal: new AbortController().signal, waited: { ms: 0 } };
  await runRollbackCommand(fresh, { emergency: false, reason: 'interrupted by the operator' });
}
