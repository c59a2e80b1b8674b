/**
 * Structural validation: interprets the subset of JSON Schema that schema.ts
 * uses, over the parsed value, and reports findings by path.
 */
import { durationProblem, parseDuration } from './duration.js';
import { runbookSchema } from './schema.js';
import { didYouMean, error, formatPath, quote, type Finding, type Path } from './diagnostics.js';

/** The subset of JSON Schema that schema.ts writes and this interpreter reads. */
type Schema = {
  $ref?: string;
  const?: unknown;
  oneOf?: Schema[];
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  'x-code'?: string;
  'x-message'?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  propertyNames?: { pattern?: string; 'x-message'?: string };
  additionalProperties?: boolean | Schema;
};
const root = runbookSchema as Schema;
const definitions = runbookSchema.definitions as Record<string, Schema>;

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const def = definitions[String(schema.$ref).split('/').pop() ?? ''];
  if (!def) throw new Error(`internal: the runbook schema has no definition for ${schema.$ref}`);
  return def;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, type: string | string[] | undefined): boolean {
  if (type === undefined) return true;
  const t = typeOf(v);
  return (Array.isArray(type) ? type : [type]).some((want) => want === t || (want === 'number' && t === 'integer'));
}

function describe(schema: Schema): string {
  const s = resolve(schema);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.oneOf) return s.oneOf.map(describe).join(' or ');
  if (s === definitions.duration) return 'a duration';
  const t = s.type ?? 'value';
  return (Array.isArray(t) ? t : [t])
    .map((x: string) =>
      x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : x === 'integer' ? 'an integer' : `a ${x}`,
    )
    .join(' or ');
}

const show = (v: unknown) =>
  typeOf(v) === 'object' ? 'a mapping' : typeOf(v) === 'array' ? 'a list' : quote(JSON.stringify(v));

const patterns = new Map<string, RegExp>();
/** Compiled once per pattern: the check runs per value, and a large runbook has thousands. */
function matches(pattern: string, text: string): boolean {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern)));
  return re.test(text);
}

export function checkStructure(value: unknown, schema: Schema = root, path: Path = []): Finding[] {
  const s = resolve(schema);
  // Only a finding reads it; most values have none.
  const at = () => (path.length ? `${formatPath(path)}: ` : '');

  if (s.oneOf) {
    const candidates = s.oneOf.filter((b) => {
      const r = resolve(b);
      return r.const !== undefined ? r.const === value : typeMatches(value, r.type);
    });
    if (candidates.length === 0) {
      return [error(path, 'type', `${at()}expected ${describe(s)}, got ${show(value)}`)];
    }
    const results = candidates.map((c) => checkStructure(value, c, path));
    const clean = results.find((r) => r.length === 0);
    if (clean) return clean;
    return results.reduce((best, r) => (r.length < best.length ? r : best));
  }

  if (s.const !== undefined && value !== s.const) {
    return [error(path, 'value', `${at()}must be ${JSON.stringify(s.const)}, got ${show(value)}`)];
  }
  if (!typeMatches(value, s.type)) {
    return [error(path, 'type', `${at()}expected ${describe(s)}, got ${show(value)}`)];
  }
  if (s.enum && !s.enum.includes(value)) {
    const hint = typeof value === 'string' ? didYouMean(value, s.enum.map(String)) : '';
    return [error(path, 'value', `${at()}must be one of ${s.enum.join(', ')}, got ${show(value)}${hint}`)];
  }
  if (typeof value === 'string' && s.pattern && !matches(s.pattern, value)) {
    return [
      error(
        path,
        s['x-code'] ?? 'pattern',
        `${at()}'${quote(value)}' ${s['x-message'] ?? `does not match ${s.pattern}`}`,
      ),
    ];
  }
  if (s === definitions.duration && typeof value === 'string' && parseDuration(value) !== undefined) {
    const problem = durationProblem(value, path);
    if (problem) return [error(path, 'duration', `${at()}'${quote(value)}' ${problem}`)];
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum)
      return [error(path, 'range', `${at()}must be at least ${s.minimum}, got ${value}`)];
    if (s.maximum !== undefined && value > s.maximum)
      return [error(path, 'range', `${at()}must be at most ${s.maximum}, got ${value}`)];
  }

  const findings: Finding[] = [];
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) {
      findings.push(error(path, 'empty', `${at()}needs at least ${s.minItems} item(s)`));
    }
    if (s.items) value.forEach((item, i) => findings.push(...checkStructure(item, s.items, [...path, i])));
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const props: Record<string, Schema> = s.properties ?? {};
    for (const key of s.required ?? []) {
      if (!Object.hasOwn(record, key))
        findings.push(error(path, 'missing-key', `${at()}missing required key '${key}'`));
    }
    for (const [key, v] of Object.entries(record)) {
      if (s.propertyNames?.pattern && !matches(s.propertyNames.pattern, key)) {
        findings.push(
          error(
            [...path, key],
            'key-name',
            `'${quote(key)}' ${s.propertyNames['x-message'] ?? 'is not a valid name (letters, digits and _; not starting with a digit)'}`,
            { atKey: true },
          ),
        );
      }
      if (Object.hasOwn(props, key)) findings.push(...checkStructure(v, props[key], [...path, key]));
      else if (s.additionalProperties === false) {
        findings.push(
          error(
            [...path, key],
            'unknown-key',
            `${at()}unknown key '${quote(key)}'${didYouMean(key, Object.keys(props))}`,
            { atKey: true },
          ),
        );
      } else if (typeof s.additionalProperties === 'object') {
        findings.push(...checkStructure(v, s.additionalProperties, [...path, key]));
      }
    }
  }
  return findings;
}
