import { CheckFailedError } from '../../errors.js';
import { sampleCheck } from '../../engine/checks.js';
import { ChildRunner } from '../../engine/process.js';
import { takeBaselines, watched } from '../../engine/baselines.js';
import { systemClock } from '../../engine/clock.js';
import { findStage } from '../../plan/compile.js';
import { loadRunbook, parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { openStore, targetOf } from '../store.js';

export default async function check(args: string[], opts: GlobalOptions) {
  const rb = await loadRunbook(opts);
  const n = args[0] !== undefined ? parseStageNumber(args[0]) : undefined;
  const checks = [
    ...watched('guard', rb.runbook.guards).map((w) => ({ ...w, kind: 'guard' })),
    ...watched('preflight', n !== undefined ? findStage(rb.runbook, n).preflight : []).map((w) => ({
      ...w,
      kind: `stage ${n} preflight`,
    })),
  ];
  const ctx = { vars: rb.vars, runner: new ChildRunner(), cwd: rb.cwd, shell: rb.shell, clock: systemClock };
  // A stage under way (running or interrupted) took its baselines before it changed
  // anything: those decide, as in its window. Otherwise a baseline is now, sampled live.
  const journaled = await stageBaselines(opts, rb);
  const baselines = await takeBaselines(
    ctx,
    checks.filter((c) => !(c.id in journaled)),
  );
  for (const [id, v] of Object.entries(journaled)) if (!baselines.has(id)) baselines.set(id, v);
  const samples = await Promise.all(
    checks.map(async ({ id, check, kind }) => ({
      kind,
      ...(await sampleCheck(check, ctx, { baseline: baselines.get(id) })),
    })),
  );
  if (opts.json) out(JSON.stringify(samples, null, 2));
  else
    for (const s of samples)
      out(
        `${s.result === 'passed' ? chalk.green('✓') : chalk.red('✗')} ${chalk.dim(s.kind.padEnd(18))} ${s.message}  ${chalk.dim(`[${s.result}] ${s.probe}`)}`,
      );
  const bad = samples.filter((s) => s.result !== 'passed');
  if (bad.length) throw new CheckFailedError(`${bad.length} of ${samples.length} check(s) did not pass`);
}

/** The baselines the active stage journaled, by check identity; none without a journal. */
async function stageBaselines(
  opts: GlobalOptions,
  rb: Awaited<ReturnType<typeof loadRunbook>>,
): Promise<Record<string, unknown>> {
  let store;
  try {
    store = await openStore(opts, targetOf(rb));
  } catch (e) {
    // check answers without a journal too: the baselines are then sampled live.
    process.stderr.write(
      `warning: journal not read (${e instanceof Error ? e.message : String(e)}): baselines sampled live\n`,
    );
    return {};
  }
  const { journal, where } = store;
  try {
    if (!where.exists) return {};
    return (await journal.project(rb.runbook.name)).active?.baselines ?? {};
  } finally {
    await journal.close();
  }
}
