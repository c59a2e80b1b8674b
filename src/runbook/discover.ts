/** Which runbook a command means (SPEC 4): -r, MIGRATE_RUNBOOK, ./migrate.yaml, the only one in ./runbooks/. */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

export const isRunbookFile = (f: string) => /\.ya?ml$/.test(f);

export function listRunbooks(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter(isRunbookFile)
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function discoverRunbook(
  explicit: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): string {
  const chosen = explicit ?? env.MIGRATE_RUNBOOK;
  if (chosen) {
    if (!existsSync(chosen)) throw new UsageError(`runbook not found: ${chosen}`);
    return chosen;
  }
  for (const name of ['migrate.yaml', 'migrate.yml']) if (existsSync(join(cwd, name))) return name;
  const found = listRunbooks(join(cwd, 'runbooks'));
  const [first, ...others] = found;
  if (first === undefined) {
    throw new UsageError(
      'no runbook: pass -r <path>, set MIGRATE_RUNBOOK, or create ./migrate.yaml',
      "run 'migrate init' for a starter runbook",
    );
  }
  if (!others.length) return first;
  throw new UsageError(
    `${found.length} runbooks in ./runbooks; choose one with -r`,
    found.map((f) => `  migrate -r ${f} ...`).join('\n'),
  );
}

/**
 * The runbook's own directory, through any symlinks: state (journal, lock) and
 * relative scripts live there, so operators who reach one runbook by different
 * paths share one lock instead of each getting a state dir of their own.
 */
export function runbookDir(file: string): string {
  try {
    return dirname(realpathSync(file));
  } catch {
    return dirname(resolve(file));
  }
}
