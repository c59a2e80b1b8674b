/**
 * Reading column definitions and default expressions out of the parse tree,
 * for the rules about added columns.
 */

import type { ColumnDef, Constraint, FuncCall, Node } from '@pgsql/types';
import { names, nodeAs } from './parse.js';

/** The last name of a type or function: pg_catalog.int4 -> int4. */
export const lastName = (list: Node[] | undefined): string => names(list).pop() ?? '';

export const typeOf = (col: ColumnDef): string => lastName(col.typeName?.names);

export const constraintsOf = (col: ColumnDef): Constraint[] =>
  (col.constraints ?? []).flatMap((c) => nodeAs(c, 'Constraint') ?? []);

/** A function call, where the walk over a default's tree meets one. */
const callIn = (rec: object): FuncCall | undefined =>
  'FuncCall' in rec ? (rec as { FuncCall: FuncCall }).FuncCall : undefined;

/** Serial pseudo-types: an implicit sequence default, so a rewrite when added to a table with rows. */
export const SERIALS = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

/**
 * Functions that are stable or immutable, so a default calling them is evaluated
 * once and stored without a rewrite (PostgreSQL 11+). Anything else we cannot
 * look up is treated as volatile: a false alarm costs a word in `allow:`, a miss
 * costs a table rewrite under ACCESS EXCLUSIVE.
 */
const NOT_VOLATILE = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'current_database',
  'current_schema',
  'current_user',
  'lower',
  'upper',
  'trim',
  'btrim',
  'concat',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'length',
  'abs',
  'round',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array_fill',
  'make_interval',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'date_trunc',
  'to_timestamp',
  'timezone',
]);

/** pg_proc.provolatile: immutable, stable, volatile. */
export type Volatility = 'i' | 's' | 'v';

/** What is known of a function beyond the built-in list (the database, the runbook's own CREATE FUNCTION), by name as written. */
export type KnownVolatility = (name: string) => Volatility | undefined;

/** A call's name as written, schema included: app.f. */
const writtenName = (list: Node[] | undefined): string => names(list).join('.');

/**
 * The first function call in a default that may be volatile, by name; null
 * when the default is constant or stable. A function `known` answers for is
 * judged by that; any other by the built-in list, else counted as volatile.
 */
export function volatileCall(expr: unknown, known: KnownVolatility = () => undefined): string | null {
  if (Array.isArray(expr)) {
    for (const e of expr) {
      const v = volatileCall(e, known);
      if (v) return v;
    }
    return null;
  }
  if (!expr || typeof expr !== 'object') return null;
  const call = callIn(expr);
  if (call) {
    const name = writtenName(call.funcname);
    const volatility = known(name) ?? (NOT_VOLATILE.has(lastName(call.funcname)) ? 's' : 'v');
    if (volatility === 'v') return name;
    return volatileCall(call.args, known);
  }
  // A subquery may read anything.
  if ('SubLink' in expr) return 'a subquery';
  for (const [k, v] of Object.entries(expr))
    if (k !== 'typeName') {
      const r = volatileCall(v, known);
      if (r) return r;
    }
  return null;
}

/** Calls in a default that only the database can judge: not on the built-in list. */
export function unknownCalls(expr: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(expr)) {
    for (const e of expr) unknownCalls(e, out);
    return out;
  }
  if (!expr || typeof expr !== 'object') return out;
  const call = callIn(expr);
  if (call && !NOT_VOLATILE.has(lastName(call.funcname))) out.add(writtenName(call.funcname));
  for (const [k, v] of Object.entries(expr)) if (k !== 'typeName') unknownCalls(v, out);
  return out;
}
