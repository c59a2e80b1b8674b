import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import type { GlobalOptions } from '../context.js';
import { out } from '../output.js';
import { STARTER_RUNBOOK } from '../starter.js';

/** Create the file exclusively (never through a symlink, even a dangling one); --force replaces a regular file only. */
function create(path: string, force: boolean): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW } = constants;
  try {
    return openSync(path, force ? O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW : O_WRONLY | O_CREAT | O_EXCL, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UsageError(`${path} already exists`, 'pass --force to overwrite it, or give another path');
    if (code === 'ELOOP')
      throw new UsageError(
        `${path} is a symbolic link; init does not write through links`,
        'remove the link, or give another path',
      );
    throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

export default async function init(args: string[], opts: GlobalOptions & { force?: boolean }) {
  const path = args[0] ?? 'migrate.yaml';
  mkdirSync(dirname(path), { recursive: true });
  const fd = create(path, Boolean(opts.force));
  try {
    writeSync(fd, STARTER_RUNBOOK);
  } finally {
    closeSync(fd);
  }
  out(`wrote ${path}`);
  out(`next: migrate -r ${path} validate && migrate -r ${path} plan 1`);
}
