import { ChildRunner } from '../../engine/process.js';
import { openFlagStore } from '../../flags/open.js';
import { loadRunbook, type GlobalOptions } from '../context.js';
import { chalk, out } from '../output.js';
import { stateDir } from '../store.js';

export default async function flags(_args: string[], opts: GlobalOptions) {
  const rb = await loadRunbook(opts);
  const store = await openFlagStore(rb.runbook, {
    runner: new ChildRunner(),
    vars: rb.vars,
    cwd: rb.cwd,
    shell: rb.shell,
    stateDir: stateDir(opts, rb.file),
  });
  try {
    const values = await store.list();
    if (opts.json) return out(JSON.stringify(values, null, 2));
    out(chalk.dim(store.describe));
    const names = Object.keys(values).sort();
    if (!names.length) return out('no flags set');
    const width = Math.max(...names.map((n) => n.length));
    for (const n of names) out(`${n.padEnd(width)}  ${JSON.stringify(values[n])}`);
  } finally {
    await store.close();
  }
}
