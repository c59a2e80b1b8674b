/**
 * CREATE INDEX CONCURRENTLY commits an INVALID index before it waits for other
 * transactions; a lock timeout in that wait leaves it behind. A retry would then
 * fail on "already exists" (or, with IF NOT EXISTS, skip it and report success
 * over an index the planner never uses). So: note the invalid indexes on the
 * tables before the step, drop the ones a failed attempt added before retrying,
 * and fail a step that ends with an invalid index it names or added.
 */
import type pg from 'pg';
import { kindOf, type Statement } from './parse.js';

export interface IndexTargets {
  /** Quoted schema.table of every table a CONCURRENTLY build in the step indexes. */
  tables: string[];
  /** Index names the step gives. */
  names: Set<string>;
}

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

export function concurrentIndexTargets(statements: Statement[]): IndexTargets | null {
  const tables = new Set<string>();
  const names = new Set<string>();
  for (const st of statements) {
    const [k, b] = kindOf(st);
    if (k !== 'IndexStmt' || !b.concurrent || !b.relation?.relname) continue;
    tables.add(
      b.relation.schemaname
        ? `${quote(b.relation.schemaname)}.${quote(b.relation.relname)}`
        : quote(b.relation.relname),
    );
    if (b.idxname) names.add(b.idxname);
  }
  return tables.size ? { tables: [...tables], names } : null;
}

interface Invalid {
  name: string;
  relname: string;
}

export async function invalidIndexes(client: pg.Client, t: IndexTargets): Promise<Invalid[]> {
  const r = await client.query(
    `SELECT i.indexrelid::regclass::text AS name, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE NOT i.indisvalid AND i.indrelid = ANY(SELECT to_regclass(t)::oid FROM unnest($1::text[]) t) ORDER BY 1`,
    [t.tables],
  );
  return r.rows as Invalid[];
}

/** Invalid indexes the step is answerable for: added since `before`, or named by it. */
export function ours(now: Invalid[], before: Invalid[], t: IndexTargets): Invalid[] {
  return now.filter((i) => t.names.has(i.relname) || !before.some((b) => b.name === i.name));
}

/** Drop the invalid indexes a failed attempt left (CONCURRENTLY: it takes no lock that blocks writes). */
export async function dropLeftovers(client: pg.Client, t: IndexTargets, before: Invalid[]): Promise<string[]> {
  const left = (await invalidIndexes(client, t)).filter((i) => !before.some((b) => b.name === i.name));
  for (const i of left) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${i.name}`);
  return left.map((i) => i.name);
}
