/**
 * A runbook's name and digest without parsing it: `status` and `history`
 * need only these, and must answer fast even on a file that no longer
 * validates. The strict one-line match falls back to the YAML parser.
 */
import { createHash } from 'node:crypto';
import { normalizeSource, readRunbookText } from './read.js';
import { NotUtf8, UsageError } from '../errors.js';
import { printable } from './diagnostics.js';

export interface RunbookIdentity {
  name: string;
  digest: string;
  stages: number | null;
  source: string;
}

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// A comment needs a blank before its `#` (`name: a#b` is the name 'a#b'); an indented next line continues the value.
const NAME = /^name:[ \t]*(["']?)([A-Za-z0-9][A-Za-z0-9_.-]*)\1([ \t]+#.*)?[ \t]*\r?$(?!\n[ \t]+[^\s#])/m;

export async function readIdentity(file: string): Promise<RunbookIdentity> {
  let source: string;
  try {
    source = readRunbookText(file);
  } catch (e) {
    if (e instanceof NotUtf8) {
      const { LineIndex } = await import('./yaml.js');
      const before = normalizeSource(e.before);
      const { line, column } = new LineIndex(before).at(before.length);
      throw new UsageError(`${file}:${line}:${column}: ${e.message}`, `run 'migrate validate ${file}'`);
    }
    throw new UsageError(`cannot read runbook ${file}: ${(e as Error).message}`);
  }
  const digest = createHash('sha256').update(source).digest('hex');
  const m = NAME.exec(source);
  // Trusted only when nothing above it can span lines (a quote, a block scalar, a flow collection):
  // a `name:` line inside a string is not the name, and status must read the journal validate would.
  if (m?.[2] !== undefined && source.match(/^name:/gm)?.length === 1 && !/['"|>[{]/.test(source.slice(0, m.index)))
    return { name: m[2], digest, stages: null, source };
  const { parseYamlValue: parse } = await import('./yaml.js');
  type Declared = { name?: unknown; stages?: unknown[] } | null;
  // Not YAML: the parser's located message says where.
  const value = parse(source, file) as Declared;
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
