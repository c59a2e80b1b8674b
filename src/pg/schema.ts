/**
 * A database's schema read from the catalog, as data: to compare before and
 * after a rollback (`rehearse`), and to recreate it in a scratch database.
 * Definitions come from PostgreSQL itself (pg_get_*def, format_type), so they
 * are exact. Covers schemas, enums, sequences, tables and columns,
 * constraints, indexes, views, functions and triggers.
 */
import type pg from 'pg';

export interface SchemaSnapshot {
  schemas: string[];
  enums: Record<string, string[]>;
  sequences: string[];
  /** table -> column -> "type [NOT NULL] [DEFAULT expr]" */
  tables: Record<string, Record<string, string>>;
  constraints: Record<string, string>;
  indexes: Record<string, string>;
  views: Record<string, string>;
  functions: Record<string, string>;
  triggers: Record<string, string>;
  extensions: string[];
}

const USER_NS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;
const q = (c: pg.Client, text: string) => c.query(text).then((r) => r.rows);

export async function snapshotSchema(c: pg.Client): Promise<SchemaSnapshot> {
  const schemas = (await q(c, `SELECT nspname FROM pg_namespace n WHERE ${USER_NS} ORDER BY 1`)).map((r) => r.nspname);
  const enums: Record<string, string[]> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, t.typname) AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid WHERE ${USER_NS} GROUP BY 1`,
  ))
    enums[r.name] = r.labels;
  const sequences = (
    await q(
      c,
      `SELECT format('%I.%I', n.nspname, s.relname) AS name FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace WHERE s.relkind = 'S' AND ${USER_NS} ORDER BY 1`,
    )
  ).map((r) => r.name);
  const tables: SchemaSnapshot['tables'] = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, t.relname) AS tbl, a.attname AS col,
        format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
          || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS def
      FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
      WHERE t.relkind IN ('r', 'p') AND ${USER_NS} ORDER BY 1, a.attnum`,
  ))
    (tables[r.tbl] ??= {})[r.col] = r.def;
  // Tables without columns still exist.
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, t.relname) AS tbl FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind IN ('r', 'p') AND ${USER_NS}`,
  ))
    tables[r.tbl] ??= {};
  const constraints: Record<string, string> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, t.relname) || ' ' || quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS def, k.contype
      FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE ${USER_NS} AND k.contype <> 'n' ORDER BY 1`,
  ))
    constraints[r.name] = r.def;
  const indexes: Record<string, string> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, i.relname) AS name, pg_get_indexdef(i.oid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE ${USER_NS} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')) ORDER BY 1`,
  ))
    indexes[r.name] = r.def;
  const views: Record<string, string> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, v.relname) AS name, v.relkind, pg_get_viewdef(v.oid) AS def
      FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace WHERE v.relkind IN ('v', 'm') AND ${USER_NS} ORDER BY v.oid`,
  ))
    views[r.name] = `${r.relkind === 'm' ? 'MATERIALIZED ' : ''}${r.def}`;
  const functions: Record<string, string> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS name, pg_get_functiondef(p.oid) AS def
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE ${USER_NS} AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY p.oid`,
  ))
    functions[r.name] = r.def;
  const triggers: Record<string, string> = {};
  for (const r of await q(
    c,
    `SELECT format('%I.%I', n.nspname, t.relname) || ' ' || quote_ident(g.tgname) AS name, pg_get_triggerdef(g.oid) AS def
      FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE NOT g.tgisinternal AND ${USER_NS} ORDER BY 1`,
  ))
    triggers[r.name] = r.def;
  const extensions = (await q(c, `SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)).map(
    (r) => r.extname,
  );
  return { schemas, enums, sequences, tables, constraints, indexes, views, functions, triggers, extensions };
}

/** DDL that recreates a snapshot in an empty database, in dependency order. */
export function schemaDdl(s: SchemaSnapshot): string[] {
  const ddl: string[] = ['SET check_function_bodies = off'];
  for (const e of s.extensions) ddl.push(`CREATE EXTENSION IF NOT EXISTS "${e}"`);
  for (const n of s.schemas) if (n !== 'public') ddl.push(`CREATE SCHEMA IF NOT EXISTS "${n}"`);
  for (const [name, labels] of Object.entries(s.enums))
    ddl.push(`CREATE TYPE ${name} AS ENUM (${labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')})`);
  for (const seq of s.sequences) ddl.push(`CREATE SEQUENCE ${seq}`);
  for (const def of Object.values(s.functions)) ddl.push(def);
  for (const [table, cols] of Object.entries(s.tables))
    ddl.push(
      `CREATE TABLE ${table} (${Object.entries(cols)
        .map(([c, d]) => `"${c}" ${d}`)
        .join(', ')})`,
    );
  const byKind = (pred: (def: string) => boolean) => Object.entries(s.constraints).filter(([, d]) => pred(d));
  const isFk = (d: string) => d.startsWith('FOREIGN KEY');
  for (const [name, def] of [...byKind((d) => !isFk(d)), ...byKind(isFk)]) {
    const [table, con] = [name.slice(0, name.lastIndexOf(' ')), name.slice(name.lastIndexOf(' ') + 1)];
    ddl.push(`ALTER TABLE ${table} ADD CONSTRAINT ${con} ${def}`);
  }
  for (const def of Object.values(s.indexes)) ddl.push(def);
  for (const [name, def] of Object.entries(s.views))
    ddl.push(
      def.startsWith('MATERIALIZED ')
        ? `CREATE MATERIALIZED VIEW ${name} AS ${def.slice(13)}`
        : `CREATE VIEW ${name} AS ${def}`,
    );
  for (const def of Object.values(s.triggers)) ddl.push(def);
  return ddl;
}

/** What differs between two snapshots, one line each ("index public.i: missing after"). */
export function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot): string[] {
  const out: string[] = [];
  const cmp = (kind: string, a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const k of Object.keys(a)) {
      if (!(k in b)) out.push(`${kind} ${k}: missing after (was ${JSON.stringify(a[k])})`);
      else if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
        out.push(`${kind} ${k}: was ${JSON.stringify(a[k])}, now ${JSON.stringify(b[k])}`);
    }
    for (const k of Object.keys(b)) if (!(k in a)) out.push(`${kind} ${k}: new (${JSON.stringify(b[k])})`);
  };
  const set = (xs: string[]) => Object.fromEntries(xs.map((x) => [x, true]));
  cmp('schema', set(before.schemas), set(after.schemas));
  cmp('enum', before.enums, after.enums);
  cmp('sequence', set(before.sequences), set(after.sequences));
  const tables = new Set([...Object.keys(before.tables), ...Object.keys(after.tables)]);
  for (const t of tables) {
    const [was, now] = [before.tables[t], after.tables[t]];
    if (!now) out.push(`table ${t}: missing after`);
    else if (!was) out.push(`table ${t}: new`);
    else {
      const cols = (x: Record<string, string>) =>
        Object.fromEntries(Object.entries(x).map(([c, d]) => [`${t}.${c}`, d]));
      cmp('column', cols(was), cols(now));
    }
  }
  cmp('constraint', before.constraints, after.constraints);
  cmp('index', before.indexes, after.indexes);
  cmp('view', before.views, after.views);
  cmp('function', before.functions, after.functions);
  cmp('trigger', before.triggers, after.triggers);
  return out;
}
