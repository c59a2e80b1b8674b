import { InterruptedError } from '../../errors.js';
import { runStageCommand } from '../../engine/run.js';
import { liveHolder, readiness } from '../../plan/readiness.js';
import { compileStageLinted } from '../../plan/compile.js';
import { parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { renderPlan } from '../render/plan.js';
import { createSession } from '../session.js';
import { interruptedFollowUp } from './shared.js';

export default async function stage(
  args: string[],
  opts: GlobalOptions & { dryRun?: boolean; resume?: boolean; autoRollback: boolean },
) {
  const n = parseStageNumber(args[0]);
  // Before any step runs, the lint may ask the database about a default's functions: the stage's risk follows.
  const session = await createSession(opts, { database: true });
  const { ctx } = session;
  try {
    if (opts.dryRun) {
      const p = await ctx.journal.project(ctx.runbook.name);
      out(renderPlan(await compileStageLinted(ctx.runbook, n, ctx.vars, ctx.volatility)));
      const holder = await ctx.lock.holder();
      const ready = readiness(p, liveHolder(holder), n, ctx.digest, Boolean(opts.resume));
      out('');
      for (const b of ready.blockers) if (b !== ready.block?.message) out(chalk.yellow(`would block: ${b}`));
      if (ready.block) throw ready.block;
      out(
        ready.already_applied
          ? `stage ${n} is already applied: a real run would do nothing`
          : `dry run: nothing was executed or journaled`,
      );
      return;
    }
    const ran = await runStageCommand(ctx, n, { resume: Boolean(opts.resume), autoRollback: opts.autoRollback });
    await session.settle();
    out(ran ? chalk.green(`stage ${n} completed`) : `stage ${n} is already applied; nothing to do`);
  } catch (e) {
    if (e instanceof InterruptedError) throw await interruptedFollowUp(session, opts, e);
    throw e;
  } finally {
    await session.dispose();
  }
}
