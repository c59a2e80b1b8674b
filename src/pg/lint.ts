/**
 * The SQL lint as validation: every sql action of a runbook (steps, undo_sql,
 * rollback steps) linted with PostgreSQL's parser, findings located at their
 * statement inside the YAML, and the risk they raise per stage.
 */
import { error, warning, type Finding, type Path } from '../runbook/diagnostics.js';
import { RISKS, type Action, type Risk, type Runbook } from '../runbook/types.js';
import { actions } from '../runbook/walk.js';
import { kindOf, parseSql, placeholders, relationsOf, SqlSyntaxError, type Statement } from './parse.js';
import { lintRules, transactionFindings, type LintFinding } from './lint-rules.js';

const DDL = new Set(['AlterTableStmt', 'CreateStmt', 'IndexStmt', 'DropStmt', 'RenameStmt', 'TruncateStmt', 'CreateFunctionStmt', 'CreateTrigStmt', 'ViewStmt']);

export async function lintSql(sql: string, transactional: boolean): Promise<LintFinding[]> {
  const statements = await parseSql(sql);
  const ctx = { transactional, created: new Set<string>(), hasDdl: statements.some((s) => DDL.has(kindOf(s)[0])) };
  const out: LintFinding[] = [];
  for (const st of statements) {
    for (const rule of Object.values(lintRules)) out.push(...rule(st, ctx).map((f) => ({ ...f, offset: st.offset })));
    if (kindOf(st)[0] === 'CreateStmt') for (const r of relationsOf(st.node)) ctx.created.add(r);
  }
  out.push(...transactionFindings(statements, transactional));
  return out;
}

/** `${var}` inside a quoted SQL literal cannot be a bound parameter: say so, where it is. */
export async function varsInLiterals(sql: string): Promise<number[]> {
  const { text } = placeholders(sql);
  if (text === sql) return [];
  const { scan } = await import('libpg-query');
  const tokens = (await scan(text)).tokens as { start: number; end: number; tokenName: string }[];
  const refs = [...sql.matchAll(/\$\{[^}]*\}/g)].map((m) => m.index!);
  return refs.filter((at) => tokens.some((t) => t.tokenName !== 'PARAM' && t.start <= at && at < t.end && /CONST|IDENT/.test(t.tokenName)));
}

export function describeFinding(f: LintFinding): string {
  const lock = f.lock ? ` Takes ${f.lock}, blocking ${f.blocks}.` : '';
  return `${f.what}.${lock} Safer: ${f.safer}.`;
}

interface SqlSite { path: Path; key: 'sql' | 'undo_sql'; sql: string; transactional: boolean; stage: number; allow: string[] }

function sites(rb: Runbook): SqlSite[] {
  const out: SqlSite[] = [];
  for (const { value, path, stage } of actions(rb)) {
    const a = value as Action & { undo_sql?: string; allow?: string[] };
    const tx = a.transaction !== false;
    const allow = a.allow ?? [];
    if (a.sql !== undefined) out.push({ path, key: 'sql', sql: a.sql, transactional: tx, stage: stage!.id, allow });
    if (a.undo_sql !== undefined) out.push({ path, key: 'undo_sql', sql: a.undo_sql, transactional: tx, stage: stage!.id, allow });
  }
  return out;
}

export function hasSql(rb: Runbook): boolean {
  return sites(rb).length > 0;
}

/** Validation rule: located findings for every sql action. */
export async function sqlLintRule(rb: Runbook): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const s of sites(rb)) {
    const path = [...s.path, s.key];
    try {
      for (const f of await lintSql(s.sql, s.transactional)) {
        // An undo that drops what its stage added is the point of the undo: only errors count there.
        if (f.severity === 'warning' && (s.key === 'undo_sql' || s.allow.includes(f.code))) continue;
        out.push((f.severity === 'error' ? error : warning)(path, `sql-${f.code}`, describeFinding(f), { offset: f.offset }));
      }
      for (const at of await varsInLiterals(s.sql)) {
        out.push(error(path, 'sql-var-in-literal', 'a ${var} inside a quoted SQL literal cannot be a bound parameter; write it outside the quotes (e.g. ${name} || \'suffix\')', { offset: at }));
      }
    } catch (e) {
      if (!(e instanceof SqlSyntaxError)) throw e;
      out.push(error(path, 'sql-syntax', `SQL does not parse: ${e.message}`, { offset: e.offset }));
    }
  }
  return out;
}

/** What the lint raises each stage's risk to, with the reasons (for compile). */
export async function sqlRiskRaisers(rb: Runbook, stage: number): Promise<{ risk: Risk; reason: string }[]> {
  const out: { risk: Risk; reason: string }[] = [];
  for (const s of sites(rb).filter((x) => x.stage === stage && x.key === 'sql')) {
    try {
      for (const f of await lintSql(s.sql, s.transactional)) out.push({ risk: f.risk, reason: `sql-${f.code}` });
    } catch { /* a syntax error is a validation error already */ }
  }
  const order = (r: Risk) => RISKS.indexOf(r);
  return out.sort((a, b) => order(b.risk) - order(a.risk));
}
