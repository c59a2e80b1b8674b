import { UsageError } from '../../errors.js';
import { liveHolder } from '../../plan/readiness.js';
import type { GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { identityTarget, openStore } from '../store.js';
import { formatDuration } from '../../runbook/duration.js';
import { quote } from '../../runbook/diagnostics.js';
import { runsAsSeen } from '../../journal/project.js';

export default async function history(_args: string[], opts: GlobalOptions & { limit: string }) {
  const target = await identityTarget(opts);
  const { name } = target;
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, got '${quote(String(opts.limit))}'`);
  const { journal, lock } = await openStore(opts, target);
  const p = await journal.project(name);
  const holder = await lock.holder();
  for (const line of [...(p.notes ?? []), ...(p.damage ?? [])]) process.stderr.write(`warning: journal: ${line}\n`);
  const runs = runsAsSeen(p, liveHolder(holder)).reverse().slice(0, limit);
  await journal.close();
  if (opts.json) return out(JSON.stringify(runs, null, 2));
  if (!runs.length) return out('no runs yet');
  for (const r of runs) {
    const outcome =
      r.outcome === 'succeeded' ? chalk.green(r.outcome) : r.outcome ? chalk.red(r.outcome) : chalk.cyan('running');
    const times =
      r.working_ms !== null
        ? chalk.dim(` working ${formatDuration(r.working_ms)}, waiting ${formatDuration(r.waiting_ms ?? 0)}`)
        : '';
    out(
      `${r.started_at}  ${r.command.padEnd(24)} ${outcome}  ${r.operator}${times}${r.reason ? `\n    ${chalk.dim(r.reason)}` : ''}`,
    );
  }
}
