/**
 * Reading column definitions and default expressions out of the parse tree,
 * for the rules about added columns.
 */

/** The last name of a type or function: pg_catalog.int4 -> int4. */
export const lastName = (names: any[] | undefined): string => (names ?? []).map((n: any) => n.String?.sval).pop() ?? '';

export const typeOf = (col: Record<string, any>): string => lastName(col.typeName?.names);

export const constraintsOf = (col: Record<string, any>): Record<string, any>[] =>
  (col.constraints ?? []).map((c: any) => c.Constraint).filter(Boolean);

/** Serial pseudo-types: an implicit sequence default, so a rewrite when added to a table with rows. */
export const SERIALS = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/**
 * Functions that are stable or immutable, so a default calling them is evaluated
 * once and stored without a rewrite (PostgreSQL 11+). Anything else we cannot
 * look up is treated as volatile: a false alarm costs a word in `allow:`, a miss
 * costs a table rewrite under ACCESS EXCLUSIVE.
 */
const NOT_VOLATILE = new Set([
  'now', 'transaction_timestamp', 'statement_timestamp', 'current_setting', 'current_database', 'current_schema', 'current_user',
  'lower', 'upper', 'trim', 'btrim', 'concat', 'coalesce', 'nullif', 'greatest', 'least', 'length', 'abs', 'round',
  'to_jsonb', 'to_json', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array', 'array_fill',
  'make_interval', 'make_date', 'make_timestamp', 'make_timestamptz', 'date_trunc', 'to_timestamp', 'timezone',
]);

/** The first function call in a default that may be volatile, by name; null when the default is constant or stable. */
export function volatileCall(expr: unknown): string | null {
  if (Array.isArray(expr)) {
    for (const e of expr) { const v = volatileCall(e); if (v) return v; }
    return null;
  }
  if (!expr || typeof expr !== 'object') return null;
  const rec = expr as Record<string, any>;
  if (rec.FuncCall) {
    const name = lastName(rec.FuncCall.funcname);
    if (!NOT_VOLATILE.has(name)) return name;
    return volatileCall(rec.FuncCall.args);
  }
  // A subquery may read anything.
  if (rec.SubLink) return 'a subquery';
  for (const [k, v] of Object.entries(rec)) if (k !== 'typeName') { const r = volatileCall(v); if (r) return r; }
  return null;
}
