import { CheckFailedError } from '../../errors.js';
import { compileStage, findStage } from '../../plan/compile.js';
import { loadRunbook, parseStageNumber, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';

export default async function rehearse(args: string[], opts: GlobalOptions) {
  const n = parseStageNumber(args[0]);
  const rb = await loadRunbook(opts, { stage: String(n) });
  const { rehearse: run } = await import('../../pg/rehearse.js');
  // The engine's order, from the compiled graph: rehearsal practises what a run would do.
  const { levels } = compileStage(rb.runbook, n, rb.vars);
  const report = await run(findStage(rb.runbook, n), levels, rb.vars, (l) => {
    if (!opts.json) out(chalk.dim(l));
  });
  if (opts.json) out(JSON.stringify(report, null, 2));
  else {
    out(
      `${chalk.bold(`rehearsal of stage ${n}`)}: sql steps ${report.steps.join(', ')}${report.skipped.length ? chalk.dim(` (not rehearsed, not sql: ${report.skipped.join(', ')})`) : ''}`,
    );
    for (const p of report.phases)
      out(`  ${p.ok ? chalk.green('✓') : chalk.red('✗')} ${p.phase.padEnd(8)} ${p.detail}`);
    for (const d of report.differences) out(`      ${chalk.red('•')} ${d}`);
  }
  if (!report.ok)
    throw new CheckFailedError(
      `the rehearsal of stage ${n} failed: ${report.phases.find((p) => !p.ok)?.detail ?? 'see above'}`,
    );
  if (!opts.json) out(chalk.green(`stage ${n} applies, rolls back to the same schema, and applies again`));
}
