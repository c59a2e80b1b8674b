import { UsageError } from '../../errors.js';
import { currentStage, type Projection } from '../../journal/project.js';
import { compileStageLinted, describeAction, findStage } from '../../plan/compile.js';
import { driftNote, liveHolder, readiness, rollbackTargets } from '../../plan/readiness.js';
import { rollbackActions } from '../../plan/rollback.js';
import type { LockInfo } from '../../journal/types.js';
import { loadRunbook, parseStageNumber, type GlobalOptions, type LoadedRunbook } from '../context.js';
import { chalk, out } from '../output.js';
import { renderPlan } from '../render/plan.js';
import { openStore, targetOf } from '../store.js';
import { unwritable as unwritableDir } from '../../journal/statedir.js';
import { dirname } from 'node:path';

async function journalState(
  opts: GlobalOptions,
  rb: LoadedRunbook,
): Promise<{ p: Projection; lock: LockInfo | null; unwritable: string | null }> {
  const { journal, lock, where } = await openStore(opts, targetOf(rb));
  const p = await journal.project(rb.runbook.name);
  await journal.close();
  const holder = await lock.holder();
  const dir = where.kind === 'file' ? dirname(where.location) : null;
  return { p, lock: liveHolder(holder), unwritable: dir === null ? null : unwritableDir(dir) };
}

export default async function plan(args: string[], opts: GlobalOptions & { rollback?: boolean; to?: string }) {
  const rb = await loadRunbook(opts, args[0] ? { stage: args[0] } : {}, {
    database: args[0] !== undefined && !opts.rollback,
  });
  const { p, lock, unwritable } = await journalState(opts, rb);
  if (opts.rollback) return planRollback(rb, p, opts);
  if (args[0] === undefined) throw new UsageError('plan needs a stage number (or --rollback)', 'e.g. migrate plan 2');
  const n = parseStageNumber(args[0]);
  const graph = await compileStageLinted(rb.runbook, n, rb.vars, rb.volatility);
  const { block: _block, ...ready } = readiness(p, lock, n, rb.digest);
  if (unwritable) ready.blockers.push(unwritable);
  const deps = await (await import('../../pg/dependents.js')).liveDependents(findStage(rb.runbook, n), rb.vars);
  if (opts.json)
    return out(
      JSON.stringify(
        {
          ...graph,
          readiness: ready,
          dependents: deps.dependents,
          ...(deps.note ? { dependents_note: deps.note } : {}),
        },
        null,
        2,
      ),
    );
  out(renderPlan(graph, rb.warnings));
  if (deps.dependents?.length) {
    out('');
    out(chalk.bold('live dependents') + chalk.dim(' (from the catalog, of what this stage drops or renames)'));
    for (const d of deps.dependents) out(chalk.yellow(`  ${d.kind} ${d.name} depends on ${d.object} (step ${d.step})`));
  } else if (deps.note) out(chalk.dim(deps.note));
  out('');
  if (ready.already_applied)
    out(chalk.dim(`stage ${n} is already applied (current stage ${ready.current_stage}): a run would do nothing`));
  else if (!ready.blockers.length) out(chalk.green(`ready: current stage is ${ready.current_stage}`));
  for (const b of ready.blockers) out(chalk.yellow(`would block: ${b}`));
  if (ready.drift.length) out(chalk.yellow(`drift: ${driftNote(ready.drift)}`));
}

function planRollback(rb: LoadedRunbook, p: Projection, opts: GlobalOptions & { to?: string }) {
  const to = opts.to !== undefined ? parseStageNumber(opts.to, '--to') : undefined;
  const targets = rollbackTargets(p, { to, emergency: false, reason: null }, rb.runbook);
  const plan = targets.map((t) => ({
    stage: t.stage,
    name: findStage(rb.runbook, t.stage).name,
    actions: rollbackActions(findStage(rb.runbook, t.stage), t.completed, t.records, t.undone).map((a) => ({
      source: a.source,
      title: a.title,
      ...describeAction(a.action, a.with ? rb.vars.with(a.with) : rb.vars),
    })),
  }));
  if (opts.json)
    return out(JSON.stringify({ runbook: rb.runbook.name, current_stage: currentStage(p), stages: plan }, null, 2));
  if (!plan.length) return out('nothing to roll back: no stage is applied');
  out(
    `${chalk.bold(rb.runbook.name)} · rollback of stage${plan.length > 1 ? 's' : ''} ${plan.map((s) => s.stage).join(', ')} (highest first)`,
  );
  for (const s of plan) {
    out(`  ${chalk.bold(`stage ${s.stage}: ${s.name}`)}`);
    if (!s.actions.length)
      out(chalk.yellow('    nothing to run: no completed step has an undo and the stage has no rollback steps'));
    s.actions.forEach((a, i) =>
      out(`    ${i + 1}. ${a.title}  ${chalk.dim(`${a.kind}: ${a.display.replace(/\s+/g, ' ')}`)}`),
    );
  }
}
