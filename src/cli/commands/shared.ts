/** Follow-ups several commands share. */
import { randomUUID } from 'node:crypto';
import { runRollbackCommand } from '../../engine/run.js';
import { WaitClock } from '../../engine/clock.js';
import type { GlobalOptions } from '../context.js';
import { InterruptedError, PreemptedError } from '../../errors.js';
import { canPrompt, confirmIn } from '../prompt.js';
import type { Session } from '../session.js';

/**
 * After Ctrl-C: ask whether to roll back (non-interactive: do not). Returns
 * the error to end with, whose message and hint are the last lines the
 * operator reads: which stage (and which undo, in doubt) and the next command.
 */
export async function interruptedFollowUp(
  session: Session,
  opts: GlobalOptions,
  e: InterruptedError,
): Promise<InterruptedError> {
  const { ctx, board } = session;
  if (ctx.signal.reason instanceof PreemptedError) {
    // The emergency rollback that stopped this run does the undoing; the reason is the error's message, said once.
    await board?.finish('left to the emergency rollback');
    return new PreemptedError(`${ctx.signal.reason.message}; this run stopped and let go of the lock`);
  }
  const p = await ctx.journal.project(ctx.runbook.name);
  const { active, rolling } = p;
  if ((!active && !rolling) || !canPrompt() || opts.json) await board?.finish();
  if (!active && !rolling) return e; // interrupted before the stage changed anything
  // Interrupted inside a rollback: the stage is half undone, and the error names the undo in doubt and says to run rollback.
  const leftAsIs = () =>
    rolling
      ? e
      : new InterruptedError(
          `stage ${active!.stage} interrupted: it is left as it is (last: ${active!.last_step ?? active!.last_event})`,
          `next: 'migrate rollback' to undo it, or 'migrate stage ${active!.stage} --resume' to finish it${active!.in_doubt.length ? ` (in doubt: ${active!.in_doubt.join(', ')})` : ''}`,
        );
  if (!canPrompt() || opts.json) return leftAsIs();
  const stage = rolling?.stage ?? active!.stage;
  const question = rolling
    ? `Interrupted while rolling back stage ${stage}. Finish the rollback now?`
    : 'Interrupted. Roll the stage back now?';
  // Asked in the stage's rollback line, which the rollback then fills.
  board?.hold(stage);
  const yes = await confirmIn(board, question, true).catch(() => false);
  if (!yes) {
    await board?.finish();
    return leftAsIs();
  }
  // The lock was let go while the question was open: another run may have acted meanwhile.
  const fresh = { ...ctx, runId: randomUUID(), signal: session.rearm(), waited: new WaitClock(ctx.clock) };
  const done = await runRollbackCommand(fresh, { emergency: false, reason: 'interrupted by the operator' });
  if (!done.includes(stage)) {
    await board?.finish();
    return new InterruptedError(
      `interrupted; stage ${stage} was already rolled back meanwhile (by another run): this run undid nothing`,
      "see 'migrate history'",
    );
  }
  return new InterruptedError(`interrupted; stage ${stage} was rolled back`);
}
