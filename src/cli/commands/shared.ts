/** Follow-ups several commands share. */
import { randomUUID } from 'node:crypto';
import { runRollbackCommand } from '../../engine/run.js';
import { WaitClock } from '../../engine/clock.js';
import type { GlobalOptions } from '../context.js';
import { InterruptedError, PreemptedError } from '../../errors.js';
import { canPrompt, confirmIn } from '../prompt.js';
import type { Session } from '../session.js';
import { currentStage, type Projection } from '../../journal/project.js';
import type { Runbook } from '../../runbook/types.js';

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
  const preempted = (signal: AbortSignal) => signal.reason instanceof PreemptedError;
  if (preempted(ctx.signal)) return handedOver(session, ctx.signal.reason as PreemptedError);
  const p = await ctx.journal.project(ctx.runbook.name);
  const { active, rolling } = p;
  if (!active && !rolling) {
    await board?.finish();
    return e; // interrupted before the stage changed anything
  }
  // An irreversible stage is never rolled back: a question whose yes would be refused is not asked.
  if (!canPrompt() || opts.json || (!rolling && isIrreversible(ctx.runbook, active!.stage))) {
    await board?.finish();
    return leftAsIs(e, p, Boolean(rolling), ctx.runbook);
  }
  const stage = rolling?.stage ?? active!.stage;
  const question = rolling
    ? `Interrupted while rolling back stage ${stage}. Finish the rollback now?`
    : 'Interrupted. Roll the stage back now?';
  // Asked in the stage's rollback line, which the rollback then fills. A signal (Ctrl-C,
  // SIGTERM, SIGHUP, an emergency) ends the question and whatever it starts.
  board?.hold(stage);
  const signal = session.rearm();
  const yes = await confirmIn(board, question, true, signal).catch(() => false);
  if (preempted(signal)) return handedOver(session, signal.reason as PreemptedError);
  // The lock was let go while the question was open: another run may have acted meanwhile.
  const now = await ctx.journal.project(ctx.runbook.name);
  if (!yes) {
    await board?.finish();
    return leftAsIs(e, now, Boolean(rolling), ctx.runbook);
  }
  // The answer was about this stage as it stood: if another run moved it (rolled it back, resumed
  // it, went on to later stages), nothing here is undone, least of all what the question never named.
  const same = rolling ? now.rolling?.stage === stage : now.active?.stage === stage && !now.rolling;
  if (!same) {
    await board?.finish();
    return new InterruptedError(
      `interrupted; stage ${stage} was changed by another run while the question was open: this run undid nothing`,
      "see 'migrate status' and 'migrate history'",
    );
  }
  const to = now.rolling ? now.rolling.to : stage - 1;
  const fresh = { ...ctx, runId: randomUUID(), signal, waited: new WaitClock(ctx.clock) };
  const done = await runRollbackCommand(fresh, {
    emergency: false,
    reason: 'interrupted by the operator',
    to,
    command: 'rollback after Ctrl-C',
  });
  if (!done.includes(stage)) {
    await board?.finish();
    return new InterruptedError(
      `interrupted; stage ${stage} was already rolled back meanwhile (by another run): this run undid nothing`,
      "see 'migrate history'",
    );
  }
  return new InterruptedError(`interrupted; stage ${stage} was rolled back`);
}

/** An emergency rollback stopped this run and does the undoing; its reason is said once. */
async function handedOver(session: Session, reason: PreemptedError): Promise<InterruptedError> {
  await session.board?.finish('left to the emergency rollback');
  return new PreemptedError(`${reason.message}; this run stopped and let go of the lock`);
}

/** Not rolled back here: what the journal says now (another run may have acted while the question was open). */
const isIrreversible = (rb: Runbook, stage: number) => rb.stages.find((s) => s.id === stage)?.irreversible === true;

function leftAsIs(e: InterruptedError, p: Projection, wasRolling: boolean, rb: Runbook): InterruptedError {
  const { active, rolling } = p;
  // Interrupted inside a rollback: the stage is half undone, and the error names the undo in doubt and says to run rollback.
  if (rolling && wasRolling) return e;
  if (rolling)
    return new InterruptedError(
      `stage ${rolling.stage} is half rolled back (by another run, itself interrupted)`,
      `next: 'migrate rollback' to finish it${rolling.in_doubt ? ` (in doubt: ${rolling.in_doubt.title})` : ''}`,
    );
  if (!active)
    return new InterruptedError(
      `interrupted; nothing is left in progress (stage ${currentStage(p)} is the last applied: another run finished or rolled back meanwhile)`,
      "see 'migrate status' and 'migrate history'",
    );
  const doubt = active.in_doubt.length ? ` (in doubt: ${active.in_doubt.join(', ')})` : '';
  // Where the canary's traffic was left: what the operator on call needs to know first.
  const c = active.canary;
  const traffic = !c
    ? ''
    : c.hold_ms === null && !c.ended_at
      ? `; the canary was being set to ${c.weight}% (it may be at that or the weight before)`
      : `; canary traffic stays at ${c.weight}%`;
  return new InterruptedError(
    `stage ${active.stage} interrupted: it is left as it is (last: ${active.last_step ?? active.last_event})${traffic}`,
    isIrreversible(rb, active.stage)
      ? `next: 'migrate stage ${active.stage} --resume' to finish it${doubt}; it is irreversible, so no rollback undoes it`
      : `next: 'migrate rollback' to undo it, or 'migrate stage ${active.stage} --resume' to finish it${doubt}`,
  );
}
