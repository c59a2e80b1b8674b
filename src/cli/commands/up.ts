import { InterruptedError } from '../../errors.js';
import { runUpCommand } from '../../engine/run.js';
import { interruptedFollowUp } from './shared.js';
import { parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { createSession } from '../session.js';

export default async function up(_args: string[], opts: GlobalOptions & { to?: string; autoRollback: boolean }) {
  const to = opts.to !== undefined ? parseStageNumber(opts.to, '--to') : undefined;
  const session = await createSession(opts, { database: true });
  try {
    const ran = await runUpCommand(session.ctx, to, { resume: false, autoRollback: opts.autoRollback });
    await session.settle();
    out(
      ran.length
        ? chalk.green(`completed stage(s) ${ran.join(', ')}`)
        : 'nothing to do: every stage up to there is applied',
    );
  } catch (e) {
    if (e instanceof InterruptedError) throw await interruptedFollowUp(session, opts, e);
    throw e;
  } finally {
    await session.dispose();
  }
}
