/**
 * A runbook's name and digest without parsing it: `status` and `history`
 * need only these, and must answer fast even on a file that no longer
 * validates. The strict one-line match falls back to the YAML parser.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { readRunbookText } from './read.js';
import { printable } from './diagnostics.js';

export interface RunbookIdentity {
  name: string;
  digest: string;
  stages: number | null;
  source: string;
}

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const NAME = /^name:[ \t]*(["']?)([A-Za-z0-9][A-Za-z0-9_.-]*)\1[ \t]*(#.*)?$/m;

export async function readIdentity(file: string): Promise<RunbookIdentity> {
  let source: string;
  try {
    source = readRunbookText(file);
  } catch (e) {
    throw new UsageError(`cannot read runbook ${file}: ${(e as Error).message}`);
  }
  const digest = createHash('sha256').update(source).digest('hex');
  const [, , name] = NAME.exec(source) ?? [];
  if (name !== undefined && source.match(/^name:/gm)?.length === 1) return { name, digest, stages: null, source };
  const { parseYamlValue: parse } = await import('./yaml.js');
  type Declared = { name?: unknown; stages?: unknown[] } | null;
  let value: Declared = null;
  try {
    value = parse(source, file) as Declared;
  } catch {
    /* reported below */
  }
  if (!value || typeof value.name !== 'string')
    throw new UsageError(`cannot read the runbook's name from ${file}`, `run 'migrate validate ${file}'`);
  // The name keys the journal and the lock (a file name, a PostgreSQL text value): one validation would refuse is never used.
  if (!VALID_NAME.test(value.name))
    throw new UsageError(
      `${file}: '${printable(value.name)}' is not a runbook name (letters, digits, _ . -, starting with a letter or digit)`,
      `run 'migrate validate ${file}'`,
    );
  return { name: value.name, digest, stages: Array.isArray(value.stages) ? value.stages.length : null, source };
}
