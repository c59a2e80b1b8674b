/**
 * What the semantic rules may read of a runbook that failed the schema: a
 * copy without its malformed parts, so one `validate` reports the schema
 * errors and every other rule's findings together (CI takes one round, not
 * two). A malformed part is the smallest one that can go without breaking
 * its container: an unknown key, an optional key with a bad value, or the
 * list item / map entry holding a bad required key. Findings of the rules
 * are mapped back to the original paths, and those inside a malformed part
 * (follow-ons of the schema error already reported) are dropped.
 */
import type { Finding, Path } from './diagnostics.js';
import { runbookSchema } from './schema.js';
import type { Runbook } from './types.js';

/** The parts of the JSON Schema that say where a value sits and which keys its object requires. */
interface Schema {
  $ref?: string;
  oneOf?: Schema[];
  type?: string | string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  required?: string[];
}
const root = runbookSchema as unknown as Schema & { definitions: Record<string, Schema> };
const definitions = root.definitions;

const resolve = (s: Schema): Schema => (s.$ref ? (definitions[String(s.$ref).split('/').pop() ?? ''] ?? {}) : s);

/** The schema branch that describes `value` (for oneOf: the branch of its kind). */
function branch(schema: Schema, value: unknown): Schema {
  const s = resolve(schema);
  if (!s.oneOf) return s;
  const kind = Array.isArray(value) ? 'array' : value && typeof value === 'object' ? 'object' : null;
  const found = s.oneOf.map(resolve).find((b) => kind !== null && b.type === kind);
  return found ?? s;
}

/** The schema of a child of `value` (described by `schema`), or null when the schema does not know it. */
function child(schema: Schema, value: unknown, key: string | number): Schema | null {
  const s = branch(schema, value);
  if (typeof key === 'number') return s.items ?? null;
  if (s.properties?.[key]) return s.properties[key];
  return typeof s.additionalProperties === 'object' ? s.additionalProperties : null;
}

interface Node {
  value: unknown;
  schema: Schema | null;
}

/** The values and schemas along a path, from the root. */
function walk(rootValue: unknown, path: Path): Node[] {
  const nodes: Node[] = [{ value: rootValue, schema: root }];
  let cur: Node = nodes[0]!;
  for (const key of path) {
    const container = cur.value as Record<string | number, unknown> | null;
    const value = container && typeof container === 'object' ? container[key] : undefined;
    cur = { value, schema: cur.schema ? child(cur.schema, cur.value, key) : null };
    nodes.push(cur);
  }
  return nodes;
}

const REMOVED = Symbol('removed');
const UNKEYED = new Set(['unknown-key', 'key-name']);

/**
 * The part a schema finding makes unusable: climb from the finding's path
 * while the key is one its container requires. Null: the root itself (no
 * rule can read a runbook without its version, name or list of stages).
 */
function malformedPart(value: unknown, f: Finding): Path | null {
  if (UNKEYED.has(f.code)) return f.path;
  const nodes = walk(value, f.path);
  for (let n = f.path.length; n > 0; n--) {
    const key = f.path[n - 1]!;
    const parent = nodes[n - 1]!;
    if (typeof key === 'number') return f.path.slice(0, n);
    const required: string[] = parent.schema ? (branch(parent.schema, parent.value).required ?? []) : [];
    if (!required.includes(key)) return f.path.slice(0, n);
  }
  return null;
}

const inside = (path: Path, part: Path) => part.length <= path.length && part.every((k, i) => path[i] === k);

export interface Pruned {
  runbook: Runbook;
  /** A finding of the rules on the pruned copy, at its original path; null when it is a follow-on of a malformed part. */
  original(f: Finding): Finding | null;
}

/** Null when the structure does not allow reading anything more (the root, or its list of stages, is malformed). */
export function pruneMalformed(value: unknown, structural: Finding[]): Pruned | null {
  const parts: Path[] = [];
  /** Objects that lost a key they meant to have: what the rules say about the object itself follows from that. */
  const changed: Path[] = [];
  const stubbed = new Set<number>();
  for (const f of structural) {
    const part = malformedPart(value, f);
    if (!part || (part.length === 1 && part[0] === 'stages')) return null;
    // A stage stays (stage numbers order the rest): only its malformed id or name is replaced, below.
    if (part.length === 2 && part[0] === 'stages') stubbed.add(part[1] as number);
    else parts.push(part);
    if (!UNKEYED.has(f.code) && typeof part[part.length - 1] === 'string') changed.push(part.slice(0, -1));
  }
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const part of parts) mark(copy, part);
  const stages = copy.stages as Record<string, unknown>[];
  for (const i of stubbed) {
    const stage = stages[i];
    stages[i] = {
      ...(stage && typeof stage === 'object' && !Array.isArray(stage) ? stage : {}),
      id: Number.isInteger(stage?.id) ? stage!.id : i + 1,
      name: typeof stage?.name === 'string' ? stage.name : `stage ${i + 1}`,
    };
  }
  const kept = new Map<string, number[]>();
  compact(copy, [], kept);
  return {
    runbook: copy as unknown as Runbook,
    original(f) {
      const path: Path = [];
      for (const key of f.path)
        path.push(typeof key === 'number' ? (kept.get(JSON.stringify(path))?.[key] ?? key) : key);
      // A missing key says nothing about what its object does hold.
      const same = (a: Path, b: Path) => a.length === b.length && inside(a, b);
      const followOn =
        parts.some((p) => inside(path, p)) ||
        changed.some((c) => same(path, c)) ||
        structural.some((s) => (s.code === 'missing-key' ? same(path, s.path) : inside(path, s.path)));
      if (followOn) return null;
      return { ...f, path };
    },
  };
}

/** Take a part out: a key is deleted, a list item is marked and left out by compact(). */
function mark(copy: Record<string, unknown>, part: Path): void {
  let container: unknown = copy;
  for (const key of part.slice(0, -1)) {
    if (!container || typeof container !== 'object') return;
    container = (container as Record<string | number, unknown>)[key];
  }
  const last = part[part.length - 1]!;
  if (Array.isArray(container) && typeof last === 'number') container[last] = REMOVED;
  else if (container && typeof container === 'object') delete (container as Record<string | number, unknown>)[last];
}

/** Leave marked items out of their lists, keeping for each list which original index each item had. */
function compact(value: unknown, path: Path, kept: Map<string, number[]>): void {
  if (Array.isArray(value)) {
    const indexes = value.flatMap((v, i) => (v === REMOVED ? [] : [i]));
    if (indexes.length !== value.length) {
      kept.set(JSON.stringify(path), indexes);
      const items = indexes.map((i) => value[i]);
      value.length = 0;
      value.push(...items);
    }
    value.forEach((v, k) => compact(v, [...path, indexes[k]!], kept));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) compact(v, [...path, k], kept);
  }
}
