/** Open the runbook's flag store (file by default, in the state directory). */
import { join, resolve } from 'node:path';
import type { ProcessRunner } from '../engine/runner.js';
import type { Runbook } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import { CommandFlagStore } from './command.js';
import { FileFlagStore } from './file.js';
import type { FlagStore } from './store.js';

export interface FlagDeps {
  runner: ProcessRunner;
  vars: Vars;
  cwd: string;
  shell: string;
  stateDir: string;
}

export async function openFlagStore(rb: Runbook, deps: FlagDeps): Promise<FlagStore> {
  const spec = rb.flags ?? { store: 'file' as const };
  switch (spec.store) {
    case 'file':
      return new FileFlagStore(spec.path ? resolve(deps.cwd, spec.path) : join(deps.stateDir, 'flags.json'));
    case 'command':
      return new CommandFlagStore(spec, deps);
    case 'postgres': {
      const { PostgresFlagStore } = await import('./postgres.js');
      return PostgresFlagStore.open(spec, deps.vars);
    }
  }
}
