/**
 * The SQL lint as validation: every sql action of a runbook (steps, undo_sql,
 * rollback steps) linted with PostgreSQL's parser, findings located at their
 * statement inside the YAML, and the risk they raise per stage.
 */
import { didYouMean, error, thousands, warning, type Finding, type Path } from '../runbook/diagnostics.js';
import { RISKS, type Action, type Risk, type Runbook } from '../runbook/types.js';
import { actions } from '../runbook/walk.js';
import { scanTokens, kindOf, names as nameList, nodeAs, parseSql, placeholders, type Statement } from './parse.js';
import { ALL_CODES, effectiveLint, type EffectiveLint, type LintSettings } from './lint-config.js';
import { hygieneRules, longIdentifiers } from './lint-hygiene.js';
import { addedColumns, cmds, lintRules, nameOf, type LintFinding, type StepContext } from './lint-rules.js';
import { constraintsOf, unknownCalls, type KnownVolatility, type Volatility } from './lint-expr.js';
import { transactionFindings } from './lint-tx.js';
import { SqlSyntaxError } from '../errors.js';

const DDL = new Set([
  'AlterTableStmt',
  'CreateStmt',
  'IndexStmt',
  'DropStmt',
  'RenameStmt',
  'TruncateStmt',
  'CreateFunctionStmt',
  'CreateTrigStmt',
  'ViewStmt',
]);

/** What a runbook's earlier steps established, for the rules of later ones. */
export interface RunbookFacts {
  /** table.column pairs with a validated CHECK (col IS NOT NULL). */
  notNullChecks: Set<string>;
  /** NOT VALID CHECK (col IS NOT NULL) constraints by name, until validated. */
  pending: Map<string, string>;
  /** Functions the runbook creates, with the volatility it declares (VOLATILE unless it says otherwise). */
  functions: Map<string, Volatility>;
}

export const newFacts = (): RunbookFacts => ({ notNullChecks: new Set(), pending: new Map(), functions: new Map() });

/**
 * Asks the database a step runs on (its `database`, undefined for the
 * default) how volatile the named functions are; null when it cannot be
 * reached. Names are as written (app.f or f).
 */
export type VolatilityLookup = (
  database: string | undefined,
  names: string[],
) => Promise<ReadonlyMap<string, Volatility> | null>;

const VOLATILITY: Record<string, Volatility> = { immutable: 'i', stable: 's', volatile: 'v' };

/** Note what a statement creates or validates, for the statements after it. */
function learn(st: Statement, ctx: StepContext, facts: RunbookFacts): void {
  const [k, b] = kindOf(st);
  if (k === 'CreateStmt') ctx.created.add(nameOf(b.relation));
  if (k === 'CreateFunctionStmt') {
    const option = (b.options ?? []).map((o) => nodeAs(o, 'DefElem')).find((d) => d?.defname === 'volatility');
    const declared = nodeAs(option?.arg, 'String')?.sval;
    const names = nameList(b.funcname);
    const volatility = VOLATILITY[declared ?? 'volatile'] ?? 'v';
    facts.functions.set(names.join('.'), volatility);
    // Called without its schema, it is still this function when that schema is on the search path: the usual case.
    facts.functions.set(names[names.length - 1] ?? '', volatility);
  }
  if (k !== 'AlterTableStmt') return;
  const table = nameOf(b.relation);
  for (const c of cmds(b)) {
    const con = nodeAs(c.def, 'Constraint');
    if (c.subtype === 'AT_AddConstraint' && con) {
      if (con.skip_validation && con.conname) ctx.notValid.add(con.conname);
      const test = con.contype === 'CONSTR_CHECK' ? nodeAs(con.raw_expr, 'NullTest') : null;
      const col = test?.nulltesttype === 'IS_NOT_NULL' ? nameList(nodeAs(test.arg, 'ColumnRef')?.fields).pop() : null;
      if (col && con.skip_validation) facts.pending.set(con.conname ?? '', `${table}.${col}`);
      else if (col) facts.notNullChecks.add(`${table}.${col}`);
    }
    const pending = c.subtype === 'AT_ValidateConstraint' ? facts.pending.get(c.name ?? '') : undefined;
    if (pending) facts.notNullChecks.add(pending);
  }
}

export async function lintSql(
  sql: string,
  transactional: boolean,
  opts: { lint?: EffectiveLint; facts?: RunbookFacts; database?: ReadonlyMap<string, Volatility> | null } = {},
): Promise<LintFinding[]> {
  const lint = opts.lint ?? effectiveLint();
  const facts = opts.facts ?? newFacts();
  const statements = await parseSql(sql);
  // The runbook's own CREATE FUNCTION comes after what the database has now: it replaces it before this step runs.
  const volatility: KnownVolatility = (name) => facts.functions.get(name) ?? opts.database?.get(name);
  const ctx: StepContext = {
    transactional,
    pg: lint.postgres,
    created: new Set(),
    notValid: new Set(),
    notNullChecks: facts.notNullChecks,
    hasDdl: statements.some((s) => DDL.has(kindOf(s)[0])),
    volatility,
  };
  const out: LintFinding[] = [];
  for (const st of statements) {
    for (const rule of Object.values(lintRules)) out.push(...rule(st, ctx).map((f) => ({ ...f, offset: st.offset })));
    for (const rule of Object.values(hygieneRules))
      out.push(...rule(st, transactional).map((f) => ({ ...f, offset: st.offset })));
    learn(st, ctx, facts);
  }
  out.push(...transactionFindings(statements, transactional));
  if (lint.reports('identifier-too-long')) out.push(...(await longIdentifiers(placeholders(sql).text, statements)));
  return out.filter((f) => lint.reports(f.code));
}

/** `${var}` inside a quoted SQL literal cannot be a bound parameter: say so, where it is. */
export async function varsInLiterals(sql: string): Promise<number[]> {
  const { text } = placeholders(sql);
  if (text === sql) return [];
  const tokens = await scanTokens(text);
  const refs = [...sql.matchAll(/\$\{[^}]*\}/g)].map((m) => m.index!);
  return refs.filter((at) =>
    tokens.some((t) => t.tokenName !== 'PARAM' && t.start <= at && at < t.end && /CONST|IDENT/.test(t.tokenName)),
  );
}

export function describeFinding(f: LintFinding): string {
  const lock = f.lock ? ` Takes ${f.lock}, blocking ${f.blocks}.` : '';
  return `${f.what}.${lock} Safer: ${f.safer}.`;
}

interface SqlSite {
  path: Path;
  key: 'sql' | 'undo_sql';
  sql: string;
  transactional: boolean;
  stage: number;
  allow: string[];
  lint?: LintSettings;
  database?: string;
}

type Linted = Action & { undo_sql?: string; allow?: string[]; lint?: LintSettings };

function sites(rb: Runbook): SqlSite[] {
  const out: SqlSite[] = [];
  for (const { value, path, stage } of actions(rb)) {
    const a = value as Linted;
    const base = {
      path,
      transactional: a.transaction !== false,
      stage: stage!.id,
      allow: a.allow ?? [],
      lint: a.lint,
      database: a.database,
    };
    if (a.sql !== undefined) out.push({ ...base, key: 'sql', sql: a.sql });
    if (a.undo_sql !== undefined) out.push({ ...base, key: 'undo_sql', sql: a.undo_sql });
  }
  return out;
}

export function hasSql(rb: Runbook): boolean {
  return sites(rb).length > 0;
}

const runbookLint = (rb: Runbook) => (rb as Runbook & { lint?: LintSettings }).lint;

/** Rule codes named in `lint:` and `allow:` must exist: a typo would silently turn a rule back on, or never off. */
function unknownCodes(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  const check = (codes: string[] | undefined, path: Path) =>
    codes?.forEach((c, i) => {
      if (!ALL_CODES.includes(c))
        out.push(error([...path, i], 'lint-rule-unknown', `unknown SQL lint rule '${c}'${didYouMean(c, ALL_CODES)}`));
    });
  const top = runbookLint(rb);
  check(top?.enable, ['lint', 'enable']);
  check(top?.disable, ['lint', 'disable']);
  for (const { value, path } of actions(rb)) {
    const a = value as Linted;
    check(a.allow, [...path, 'allow']);
    check(a.lint?.enable, [...path, 'lint', 'enable']);
    check(a.lint?.disable, [...path, 'lint', 'disable']);
  }
  return out;
}

/** Functions called in ADD COLUMN defaults that only a database can judge. */
async function defaultCalls(sql: string): Promise<string[]> {
  const out = new Set<string>();
  for (const st of await parseSql(sql).catch(() => [])) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt') continue;
    for (const col of addedColumns(cmds(b))) {
      for (const c of constraintsOf(col)) if (c.contype === 'CONSTR_DEFAULT') unknownCalls(c.raw_expr, out);
    }
  }
  return [...out];
}

/** Per database a site names (undefined: the default), what it says of the functions its sites' defaults call. */
async function askDatabases(
  list: SqlSite[],
  lookup: VolatilityLookup | undefined,
): Promise<(s: SqlSite) => ReadonlyMap<string, Volatility> | null> {
  const known = new Map<string | undefined, ReadonlyMap<string, Volatility> | null>();
  if (lookup) {
    const wanted = new Map<string | undefined, Set<string>>();
    for (const s of list)
      for (const n of await defaultCalls(s.sql))
        (wanted.get(s.database) ?? wanted.set(s.database, new Set()).get(s.database)!).add(n);
    for (const [db, names] of wanted) known.set(db, await lookup(db, [...names]));
  }
  return (s) => known.get(s.database) ?? null;
}

/**
 * SQL a runbook may hold in all, steps and undos: parsing and linting costs
 * ~2 s per MiB, and a migration's SQL is a few KB (bulk data loads from a
 * file, in a run step).
 */
export const MAX_SQL_CHARS = 128 * 1024;

/** Whether SQL of this size, in all, passes MAX_SQL_CHARS. */
export const sqlTooLarge = (chars: number) => chars > MAX_SQL_CHARS;

/** Validation rule: located findings for every sql action, in runbook order (later steps build on earlier ones). */
export async function sqlLintRule(
  rb: Runbook,
  opts: { strict?: boolean; volatility?: VolatilityLookup } = {},
): Promise<Finding[]> {
  const out: Finding[] = unknownCodes(rb);
  const facts = newFacts();
  const all = sites(rb);
  let total = 0;
  const over = all.findIndex((s) => sqlTooLarge((total += s.sql.length)));
  if (over >= 0) {
    const s = all[over]!;
    out.push(
      error(
        [...s.path, s.key],
        'sql-too-large',
        `the runbook's SQL passes the ${MAX_SQL_CHARS / 1024} KiB limit here (${thousands(total)} characters so far): a migration's SQL is a few KB; load bulk data from a file in a run step (psql -f)`,
      ),
    );
    // Nothing is parsed: what the limit saves is the parse.
    return out;
  }
  const database = await askDatabases(all, opts.volatility);
  for (const s of all) {
    const path = [...s.path, s.key];
    // PostgreSQL's parser reads a C string: what follows a NUL would be neither linted nor, as written, run.
    const nul = s.sql.indexOf('\0');
    if (nul >= 0) {
      out.push(error(path, 'sql-syntax', 'SQL cannot hold a NUL character (\\0)', { offset: nul }));
      continue;
    }
    try {
      // An undo reverses its step by design: no hygiene there, and only errors count below.
      const lint = effectiveLint(
        runbookLint(rb),
        s.key === 'undo_sql' ? { ...s.lint, hygiene: false } : s.lint,
        opts.strict,
      );
      for (const f of await lintSql(s.sql, s.transactional, { lint, facts, database: database(s) })) {
        // An undo that drops what its stage added is the point of the undo: only errors count there.
        if (f.severity === 'warning' && (s.key === 'undo_sql' || s.allow.includes(f.code))) continue;
        out.push(
          (f.severity === 'error' ? error : warning)(path, `sql-${f.code}`, describeFinding(f), { offset: f.offset }),
        );
      }
      for (const at of await varsInLiterals(s.sql)) {
        out.push(
          error(
            path,
            'sql-var-in-literal',
            "a ${var} inside a quoted SQL literal cannot be a bound parameter; write it outside the quotes (e.g. ${name} || 'suffix')",
            { offset: at },
          ),
        );
      }
    } catch (e) {
      if (!(e instanceof SqlSyntaxError)) throw e;
      out.push(error(path, 'sql-syntax', `SQL does not parse: ${e.message}`, { offset: e.offset }));
    }
  }
  return out;
}

/** What the lint raises each stage's risk to, with the reasons (for compile). */
export async function sqlRiskRaisers(
  rb: Runbook,
  stage: number,
  opts: { volatility?: VolatilityLookup } = {},
): Promise<{ risk: Risk; reason: string }[]> {
  const out: { risk: Risk; reason: string }[] = [];
  const facts = newFacts();
  const steps = sites(rb).filter((x) => x.key === 'sql');
  // Only this stage's findings count: only its databases are asked.
  const database = await askDatabases(
    steps.filter((s) => s.stage === stage),
    opts.volatility,
  );
  for (const s of steps) {
    try {
      const found = await lintSql(s.sql, s.transactional, {
        lint: effectiveLint(runbookLint(rb), s.lint),
        facts,
        database: database(s),
      });
      if (s.stage === stage) for (const f of found) out.push({ risk: f.risk, reason: `sql-${f.code}` });
    } catch {
      /* a syntax error is a validation error already */
    }
  }
  const order = (r: Risk) => RISKS.indexOf(r);
  return out.sort((a, b) => order(b.risk) - order(a.risk));
}
