import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import type { GlobalOptions } from '../context.js';
import { out } from '../output.js';
import { STARTER_RUNBOOK } from '../starter.js';

export default async function init(args: string[], opts: GlobalOptions & { force?: boolean }) {
  const path = args[0] ?? 'migrate.yaml';
  if (existsSync(path) && !opts.force) throw new UsageError(`${path} already exists`, 'pass --force to overwrite it, or give another path');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, STARTER_RUNBOOK);
  out(`wrote ${path}`);
  out(`next: migrate -r ${path} validate && migrate -r ${path} plan 1`);
}
