/**
 * How volatile the functions in ADD COLUMN defaults are, asked of the
 * database (pg_proc.provolatile): a user function declared IMMUTABLE or
 * STABLE is evaluated once and stored without a rewrite. A database that
 * cannot be reached leaves the offline rule in force.
 */
import type pg from 'pg';
import type { Volatility } from './lint-expr.js';
import type { VolatilityLookup } from './lint.js';
import { connect } from './connect.js';

const ORDER: Volatility[] = ['i', 's', 'v'];

/**
 * Each name as written (f or app.f) to its volatility, where the database has
 * it. A bare name means the functions the search path finds; several
 * overloads count as the most volatile of them.
 */
export async function readVolatility(client: pg.Client, names: string[]): Promise<Map<string, Volatility>> {
  const split = names.map((n) => {
    const parts = n.split('.');
    return { n, fn: parts[parts.length - 1] ?? '', schema: parts.length > 1 ? parts[parts.length - 2] : null };
  });
  const rows = (
    await client.query<{ nspname: string; proname: string; visible: boolean; provolatile: Volatility }>(
      `SELECT n.nspname, p.proname, pg_function_is_visible(p.oid) AS visible, p.provolatile
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proname = ANY($1::text[])`,
      [[...new Set(split.map((s) => s.fn))]],
    )
  ).rows;
  const out = new Map<string, Volatility>();
  for (const { n, fn, schema } of split) {
    const found = rows
      .filter((r) => r.proname === fn && (schema === null ? r.visible : r.nspname === schema))
      .map((r) => r.provolatile);
    if (found.length)
      out.set(
        n,
        found.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a)),
      );
  }
  return out;
}

/**
 * A lookup for the lint: `urlOf` names the database a step runs on (it may
 * throw: no database configured). Each database is asked once per set of new
 * names; one that cannot be reached is not asked again.
 */
export function volatilityLookup(
  urlOf: (database: string | undefined) => string,
  onUnreachable?: (e: Error) => void,
): VolatilityLookup {
  const known = new Map<string, Map<string, Volatility | null> | null>();
  return async (database, names) => {
    let url: string;
    try {
      url = urlOf(database);
    } catch {
      return null;
    }
    if (known.has(url) && known.get(url) === null) return null;
    const answered = known.get(url) ?? new Map<string, Volatility | null>();
    const missing = names.filter((n) => !answered.has(n));
    if (missing.length) {
      let client: pg.Client | undefined;
      try {
        client = await connect(url, 'migrate lint (read-only)');
        const found = await readVolatility(client, missing);
        for (const n of missing) answered.set(n, found.get(n) ?? null);
        known.set(url, answered);
      } catch (e) {
        known.set(url, null);
        onUnreachable?.(e as Error);
        return null;
      } finally {
        await client?.end().catch(() => {});
      }
    }
    const out = new Map<string, Volatility>();
    for (const n of names) {
      const v = answered.get(n);
      if (v) out.set(n, v);
    }
    return out;
  };
}
