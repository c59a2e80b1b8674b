import { currentStage } from '../../journal/project.js';
import { FileLock } from '../../journal/lockfile.js';
import { RunState } from '../../journal/types.js';
import { discoverRunbook } from '../../runbook/discover.js';
import { loadRunbookFile } from '../../runbook/load.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../../errors.js';
import { chalk, out } from '../output.js';
import { openStore } from '../session.js';

/** Reads the runbook's name and digest without full validation: status must be fast and work on a broken file. */
export default async function status(_args: string[], opts: GlobalOptions) {
  const file = discoverRunbook(opts.runbook, process.env, process.cwd());
  const loaded = loadRunbookFile(file);
  if (!loaded.ok) throw new UsageError(`cannot read runbook ${file}: ${loaded.diagnostics[0]?.message}`);
  const name = String((loaded.loaded.value as { name?: unknown }).name ?? '');
  const { journal, lock } = openStore(opts, name);
  const p = await journal.project(name);
  const holder = await lock.holder();
  const live = holder && !FileLock.isStale(holder) ? holder : null;
  const state = p.dirty ? RunState.Dirty : live ? RunState.InProgress : p.active ? RunState.Interrupted : RunState.Clean;
  const last = p.runs[p.runs.length - 1] ?? null;
  const drift = p.applied.filter((a) => a.digest !== loaded.loaded.digest).map((a) => a.stage);
  const result = {
    runbook: name, current_stage: currentStage(p), state, lock: holder && { pid: holder.pid, host: holder.host, operator: holder.operator, since: holder.since, stale: !live },
    last_run: last, active: p.active && { stage: p.active.stage, completed_steps: p.active.completed.map((c) => c.step), last_event: p.active.last_event, last_step: p.active.last_step },
    dirty: p.dirty, drift: drift.length ? { stages: drift, message: 'the runbook changed since these stages were applied' } : null,
  };
  await journal.close();
  if (opts.json) return out(JSON.stringify(result, null, 2));
  const colour = { clean: chalk.green, in_progress: chalk.cyan, interrupted: chalk.yellow, dirty: chalk.red }[state];
  out(`${chalk.bold(name)}: stage ${result.current_stage} of ${(loaded.loaded.value as { stages?: unknown[] }).stages?.length ?? '?'} · ${colour(state)}`);
  if (p.active && state === RunState.Interrupted) out(chalk.yellow(`stage ${p.active.stage} did not finish (last: ${p.active.last_event}${p.active.last_step ? ` at ${p.active.last_step}` : ''}; completed: ${p.active.completed.map((c) => c.step).join(', ') || 'none'}). Run 'migrate rollback' or 'migrate stage ${p.active.stage} --resume'.`));
  if (p.dirty) out(chalk.red(`dirty: rollback of stage ${p.dirty.stage} failed: ${p.dirty.reason}`));
  if (holder) out(`lock: ${holder.operator}, pid ${holder.pid} on ${holder.host}, since ${holder.since}${live ? '' : chalk.yellow(' (stale: the process is gone)')}`);
  if (last) out(`last run: ${last.command} by ${last.operator}, ${last.outcome ?? 'running'}${last.reason ? ` (${last.reason})` : ''}, ${last.started_at}`);
  if (result.drift) out(chalk.yellow(`drift: the runbook changed since stage(s) ${drift.join(', ')} ran`));
}
