import { CheckFailedError } from '../../errors.js';
import { sampleCheck } from '../../engine/checks.js';
import { ChildRunner } from '../../engine/process.js';
import { takeBaselines, watched } from '../../engine/baselines.js';
import { systemClock } from '../../engine/clock.js';
import { findStage } from '../../plan/compile.js';
import { loadRunbook, parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';

export default async function check(args: string[], opts: GlobalOptions) {
  const rb = await loadRunbook(opts);
  const n = args[0] !== undefined ? parseStageNumber(args[0]) : undefined;
  const checks = [
    ...watched('guard', rb.runbook.guards).map((w) => ({ ...w, kind: 'guard' })),
    ...watched('preflight', n !== undefined ? findStage(rb.runbook, n).preflight : []).map((w) => ({ ...w, kind: `stage ${n} preflight` })),
  ];
  const ctx = { vars: rb.vars, runner: new ChildRunner(), cwd: rb.cwd, shell: rb.shell, clock: systemClock };
  // No stage is running: a baseline is now, sampled live just before its check.
  const baselines = await takeBaselines(ctx, checks);
  const samples = await Promise.all(checks.map(async ({ id, check, kind }) => ({ kind, ...await sampleCheck(check, ctx, { baseline: baselines.get(id) }) })));
  if (opts.json) out(JSON.stringify(samples, null, 2));
  else for (const s of samples) out(`${s.result === 'passed' ? chalk.green('✓') : chalk.red('✗')} ${chalk.dim(s.kind.padEnd(18))} ${s.message}  ${chalk.dim(`[${s.result}] ${s.probe}`)}`);
  const bad = samples.filter((s) => s.result !== 'passed');
  if (bad.length) throw new CheckFailedError(`${bad.length} of ${samples.length} check(s) did not pass`);
}
