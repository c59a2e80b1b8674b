import { compileStageLinted } from '../../plan/compile.js';
import { toDot, toMermaid } from '../../plan/diagram.js';
import { loadRunbook, parseStageNumber, type GlobalOptions } from '../context.js';

export default async function graph(args: string[], opts: GlobalOptions & { format: 'mermaid' | 'dot' }) {
  const stage = parseStageNumber(args[0]);
  const rb = await loadRunbook(opts, { stage: String(stage) });
  const g = await compileStageLinted(rb.runbook, stage, rb.vars);
  process.stdout.write(opts.format === 'dot' ? toDot(g) : toMermaid(g));
}
