import { compileStage } from '../../plan/compile.js';
import { loadRunbook, parseStageNumber, type GlobalOptions } from '../context.js';
import { out } from '../output.js';
import { renderPlan } from '../render/plan.js';

export default async function plan(args: string[], opts: GlobalOptions) {
  const stage = parseStageNumber(args[0]);
  const rb = await loadRunbook(opts, { stage: String(stage) });
  const graph = compileStage(rb.runbook, stage, rb.vars);
  if (opts.json) out(JSON.stringify(graph, null, 2));
  else out(renderPlan(graph, rb.warnings));
}
