/**
 * What depends on the tables and columns a stage drops or renames, read live
 * from the catalog (pg_depend): views, foreign keys, indexes, triggers. Shown
 * by `plan` when the database is reachable, so a contract step cannot
 * surprise anyone.
 */
import type pg from 'pg';
import { stepId, type Stage } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import { kindOf, names, nodeAs, parseSql, relName, type Statement } from './parse.js';

export interface Dependent {
  step: string;
  object: string;
  kind: 'view' | 'foreign key' | 'index' | 'trigger' | 'constraint' | 'default';
  name: string;
}

interface Target {
  table: string;
  column: string | null;
}

/** Tables and columns a statement drops, renames or retypes. */
export function targetsOf(st: Statement): Target[] {
  const [k, b] = kindOf(st);
  if (k === 'DropStmt' && b.removeType === 'OBJECT_TABLE') {
    return (b.objects ?? []).map((o) => ({ table: names(nodeAs(o, 'List')?.items).join('.'), column: null }));
  }
  if (k === 'RenameStmt' && b.relation)
    return [{ table: relName(b.relation), column: b.renameType === 'OBJECT_COLUMN' ? (b.subname ?? null) : null }];
  if (k === 'AlterTableStmt') {
    return (b.cmds ?? [])
      .map((c) => nodeAs(c, 'AlterTableCmd'))
      .filter((c) => c?.subtype === 'AT_DropColumn' || c?.subtype === 'AT_AlterColumnType')
      .map((c) => ({ table: relName(b.relation), column: c?.name ?? null }));
  }
  return [];
}

const QUERY = `
WITH target AS (
  SELECT c.oid AS relid, a.attnum
    FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2
   WHERE c.oid = to_regclass($1)
)
SELECT DISTINCT
  CASE d.classid
    WHEN 'pg_rewrite'::regclass THEN 'view'
    WHEN 'pg_trigger'::regclass THEN 'trigger'
    WHEN 'pg_attrdef'::regclass THEN 'default'
    WHEN 'pg_constraint'::regclass THEN CASE WHEN k.contype = 'f' THEN 'foreign key' ELSE 'constraint' END
    WHEN 'pg_class'::regclass THEN 'index'
  END AS kind,
  CASE d.classid
    WHEN 'pg_rewrite'::regclass THEN (SELECT format('%I.%I', n.nspname, v.relname) FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace WHERE v.oid = r.ev_class)
    WHEN 'pg_trigger'::regclass THEN (SELECT tgname FROM pg_trigger WHERE oid = d.objid)
    WHEN 'pg_constraint'::regclass THEN k.conname
    WHEN 'pg_class'::regclass THEN (SELECT relname FROM pg_class WHERE oid = d.objid)
    ELSE NULL
  END AS name
FROM target t
JOIN pg_depend d ON d.refobjid = t.relid AND d.refclassid = 'pg_class'::regclass
  AND ($2::text IS NULL OR d.refobjsubid = t.attnum)
  AND d.deptype IN ('n', 'a')
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
WHERE NOT (d.classid = 'pg_rewrite'::regclass AND r.ev_class = t.relid)
  AND NOT (d.classid = 'pg_class'::regclass AND $2::text IS NULL)
  AND NOT (d.classid = 'pg_attrdef'::regclass)
UNION
SELECT 'foreign key', format('%s on %s', k.conname, k.conrelid::regclass)
  FROM target t JOIN pg_constraint k ON k.confrelid = t.relid AND k.contype = 'f' AND k.conrelid <> t.relid
 WHERE $2::text IS NULL OR t.attnum = ANY (k.confkey)
`;

/** What the stage's sql steps drop, rename or retype (no database needed). */
export async function stageTargets(stage: Stage): Promise<{ step: string; target: Target }[]> {
  const out: { step: string; target: Target }[] = [];
  for (const [i, step] of (stage.steps ?? []).entries()) {
    if (step.sql === undefined) continue;
    // A statement that does not parse is a validation error already.
    for (const st of await parseSql(step.sql).catch(() => []))
      for (const target of targetsOf(st)) out.push({ step: stepId(step, i), target });
  }
  return out;
}

export async function stageDependents(
  client: pg.Client,
  targets: { step: string; target: Target }[],
): Promise<Dependent[]> {
  const out: Dependent[] = [];
  for (const { step, target: t } of targets) {
    const rows = (await client.query(QUERY, [t.table, t.column])).rows;
    for (const r of rows)
      if (r.kind && r.name)
        out.push({ step, object: t.column ? `${t.table}.${t.column}` : t.table, kind: r.kind, name: r.name });
  }
  return out;
}

/**
 * What depends, live, on what this stage drops or renames (`plan`). Connects
 * read-only, and only when the stage has such a step; an unreachable database
 * is a note (dependents: null), not an error.
 */
export async function liveDependents(
  stage: Stage,
  vars: Vars,
): Promise<{ dependents: Dependent[] | null; note?: string }> {
  if (!(stage.steps ?? []).some((s) => s.sql !== undefined)) return { dependents: [] };
  const targets = await stageTargets(stage);
  if (!targets.length) return { dependents: [] };
  const { connect, databaseUrl } = await import('./connect.js');
  let client;
  try {
    client = await connect(databaseUrl(undefined, vars), 'migrate plan (read-only)');
  } catch (e) {
    return {
      dependents: null,
      note: `dependents not checked: the database is not reachable (${vars.mask((e as Error).message)})`,
    };
  }
  try {
    await client.query('BEGIN READ ONLY');
    return { dependents: await stageDependents(client, targets) };
  } finally {
    await client.end().catch(() => {});
  }
}
