/**
 * SQL through PostgreSQL's own parser (libpg-query, WebAssembly, loaded only
 * when there is SQL). `${var}` references are replaced by `$N` placeholders of
 * the same length first, so every offset still points into the runbook text.
 */
import type { Node, RangeVar } from '@pgsql/types';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { EnvironmentError, SqlSyntaxError } from '../errors.js';
import { parseTemplate } from '../runbook/template.js';

/** The kinds of parse tree node ('AlterTableStmt', 'ColumnDef', ...): each node is `{ Kind: body }`. */
export type NodeKind = Node extends infer N ? (N extends unknown ? keyof N : never) : never;
export type NodeBody<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];
/** A node's kind and body, narrowed together by the kind. */
export type Kinded = { [K in NodeKind]: [K, NodeBody<K>] }[NodeKind];

export interface Statement {
  /** The statement's source text (with `${var}` still in it). */
  text: string;
  /** Where it starts in the step's SQL. */
  offset: number;
  /** The parse tree: { KindStmt: {...} }. */
  node: Node;
}

/** Same-length text with `$N` for each `${name}`; names in order of first use. */
export function placeholders(sql: string): { text: string; names: string[] } {
  const names: string[] = [];
  let text = '';
  for (const p of parseTemplate(sql)) {
    if ('text' in p) {
      text += p.text === '${' ? '$${' : p.text;
      continue;
    }
    let i = names.indexOf(p.name);
    if (i < 0) i = names.push(p.name) - 1;
    const raw = `\${${p.name}}`;
    text += `$${i + 1}`.padEnd(raw.length, ' ');
  }
  return { text, names };
}

let lib: typeof import('libpg-query') | null = null;
/** How loading its WebAssembly ended: an error, or null once loaded (or not started). */
let failed: Promise<Error | null> = Promise.resolve(null);

/**
 * The parser, loaded once and synchronously, so a caller that knows SQL is
 * coming can start it before its own synchronous work (the YAML parse): the
 * WebAssembly then compiles on another thread meanwhile. It runs with V8's
 * baseline compiler only: a runbook's SQL is parsed in milliseconds, and the
 * optimizing tier would spend ~150 ms compiling hot functions in the
 * background that the process then waits for at exit.
 */
function libpg(): typeof import('libpg-query') {
  if (!lib) {
    setFlagsFromString('--liftoff-only');
    lib = createRequire(import.meta.url)('libpg-query') as typeof import('libpg-query');
    // Its WebAssembly loads in the background: a failure is kept for whoever uses the parser, never left unhandled.
    failed = lib.loadModule().then(
      () => null,
      (e: unknown) => e as Error,
    );
  }
  return lib;
}

/** The parser, ready; one that cannot load (a broken install) is the machine's fault, not the SQL's. */
async function ready(): Promise<typeof import('libpg-query')> {
  let lp: typeof import('libpg-query');
  let e: Error | null;
  try {
    lp = libpg();
    e = await failed;
  } catch (thrown) {
    lib = null;
    e = thrown as Error;
  }
  if (e) {
    const why = String(e.message ?? e)
      .split('\n')[0]!
      .slice(0, 300);
    throw new EnvironmentError(
      `cannot load PostgreSQL's SQL parser (libpg-query): ${why}`,
      'reinstall migrate (npm ci, or npm install -g again)',
    );
  }
  return lp!;
}

/** Start loading the parser now (a hint: a failure shows when the parser is used). */
export function preloadSqlParser(): void {
  try {
    libpg();
  } catch {
    lib = null;
  }
}

export interface Token {
  start: number;
  end: number;
  tokenName: string;
}

/** PostgreSQL's own scanner over `text`, with offsets in characters. */
export async function scanTokens(text: string): Promise<Token[]> {
  const { scan } = await ready();
  const chars = charOffsets(text);
  return ((await scan(text)).tokens as Token[]).map((t) => ({ ...t, start: chars(t.start), end: chars(t.end) }));
}

/** libpg-query reports statement and token positions in UTF-8 bytes; JavaScript strings count UTF-16 units. */
export function charOffsets(text: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return (b) => b;
  const bytes = Buffer.from(text);
  return (b) => bytes.subarray(0, b).toString().length;
}

export async function parseSql(sql: string): Promise<Statement[]> {
  const { parse } = await ready();
  const { text } = placeholders(sql);
  let tree: { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = (await parse(text)) as unknown as typeof tree;
  } catch (e) {
    const pos = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0;
    throw new SqlSyntaxError((e as Error).message, pos); // libpg-query's cursorPosition is 0-based
  }
  const chars = charOffsets(text);
  return (tree.stmts ?? []).map((s) => {
    const start = chars(s.stmt_location ?? 0);
    const end = s.stmt_len ? chars((s.stmt_location ?? 0) + s.stmt_len) : sql.length;
    const raw = sql.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    return { text: raw.trim(), offset: start + lead, node: s.stmt };
  });
}

/** The statement kind ('AlterTableStmt') and its body. */
export function kindOf(st: Statement): Kinded {
  return kinded(st.node);
}

/** A node's kind and body: a parse tree node has exactly one key (the one place that reads it untyped). */
export function kinded(n: Node): Kinded {
  const [kind] = Object.keys(n) as NodeKind[];
  return [kind, (n as Record<NodeKind, unknown>)[kind!]] as Kinded;
}

/** The body of `n` when it is a `kind` node, else undefined: `as(c, 'AlterTableCmd')`. */
export function nodeAs<K extends NodeKind>(n: Node | undefined, kind: K): NodeBody<K> | undefined {
  return n && kind in n ? (n as unknown as Record<K, NodeBody<K>>)[kind] : undefined;
}

/** A table as people write it: schema.table, or table. */
export const relName = (rv: RangeVar | undefined): string =>
  rv ? (rv.schemaname ? `${rv.schemaname}.${rv.relname}` : (rv.relname ?? '')) : 'the table';

/** The names of a name list (pg_catalog.int4, schema.table): each a String node. */
export const names = (list: Node[] | undefined): string[] => (list ?? []).map((n) => nodeAs(n, 'String')?.sval ?? '');

/** Every table a statement names (RangeVar), for messages like "blocked on dataflow_events". */
export function relationsOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => relationsOf(n, out));
  else if (node && typeof node === 'object') {
    const rec = node as Record<string, unknown>;
    if (typeof rec.relname === 'string')
      out.add(typeof rec.schemaname === 'string' && rec.schemaname ? `${rec.schemaname}.${rec.relname}` : rec.relname);
    for (const v of Object.values(rec)) relationsOf(v, out);
  }
  return out;
}
