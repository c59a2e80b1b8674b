/**
 * SQL risk rules (SPEC 5), one small function each, over statements parsed by
 * PostgreSQL's own parser. Each finding names the lock it takes, what that
 * blocks, and the safer expand / migrate / contract pattern.
 */
import type { Risk } from '../runbook/types.js';
import { kindOf, relationsOf, type Statement } from './parse.js';

export interface LintFinding {
  code: string;
  severity: 'error' | 'warning';
  /** The effective risk this raises its stage to. */
  risk: Risk;
  /** Offset of the statement in the step's SQL. */
  offset: number;
  what: string;
  lock: string | null;
  blocks: string | null;
  safer: string;
}

export interface StepContext {
  transactional: boolean;
  /** Tables created earlier in the same step: new and empty, so their locks harm no one. */
  created: Set<string>;
  /** Whether any statement of the step is DDL. */
  hasDdl: boolean;
}

const AE = { lock: 'ACCESS EXCLUSIVE', blocks: 'every read and write of the table' };
const SHARE = { lock: 'SHARE', blocks: 'writes (INSERT, UPDATE, DELETE) to the table' };
const SRE = { lock: 'SHARE ROW EXCLUSIVE', blocks: 'writes to both tables' };

type Rule = (st: Statement, ctx: StepContext) => Omit<LintFinding, 'offset'>[];
const cmds = (body: Record<string, any>) => (body.cmds ?? []).map((c: any) => c.AlterTableCmd ?? {}) as Record<string, any>[];
const rel = (st: Statement) => [...relationsOf(st.node)][0] ?? 'the table';
const isNew = (st: Statement, ctx: StepContext) => [...relationsOf(st.node)].every((r) => ctx.created.has(r));

const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v4', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

export const lintRules: Record<string, Rule> = {
  dropTable(st) {
    const [k, b] = kindOf(st);
    if (k !== 'DropStmt' || b.removeType !== 'OBJECT_TABLE') return [];
    return [{ code: 'drop-table', severity: 'warning', risk: 'critical', what: 'drops a table and its data', ...AE, safer: 'contract last: stop every reader and writer first (a release earlier), keep a backup or rename it aside, drop in a later stage' }];
  },
  dropSchema(st) {
    const [k, b] = kindOf(st);
    if (k !== 'DropStmt' || b.removeType !== 'OBJECT_SCHEMA') return [];
    return [{ code: 'drop-schema', severity: 'warning', risk: 'critical', what: 'drops a schema and everything in it', ...AE, safer: 'move what must survive out first; drop only an emptied schema' }];
  },
  dropColumn(st) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || !cmds(b).some((c) => c.subtype === 'AT_DropColumn')) return [];
    return [{ code: 'drop-column', severity: 'warning', risk: 'high', what: `drops a column of ${rel(st)} (its data is gone)`, ...AE, safer: 'expand/contract: stop reading and writing the column in a release first, then drop it in a later stage' }];
  },
  truncate(st) {
    if (kindOf(st)[0] !== 'TruncateStmt') return [];
    return [{ code: 'truncate', severity: 'warning', risk: 'critical', what: 'empties a table', ...AE, safer: 'delete in batches with a WHERE clause, or swap in a new table' }];
  },
  rename(st) {
    const [k, b] = kindOf(st);
    if (k !== 'RenameStmt' || !['OBJECT_TABLE', 'OBJECT_COLUMN'].includes(b.renameType)) return [];
    const what = b.renameType === 'OBJECT_TABLE' ? `renames table ${rel(st)}` : `renames column ${b.subname} of ${rel(st)}`;
    return [{ code: b.renameType === 'OBJECT_TABLE' ? 'rename-table' : 'rename-column', severity: 'warning', risk: 'high', what: `${what}: running code still uses the old name`, ...AE, safer: 'expand/contract: add the new name (a column, or a view for a table), write both, move readers, drop the old one later' }];
  },
  alterColumnType(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || !cmds(b).some((c) => c.subtype === 'AT_AlterColumnType') || isNew(st, ctx)) return [];
    return [{ code: 'alter-column-type', severity: 'warning', risk: 'high', what: `changes a column type of ${rel(st)}: most changes rewrite the table`, ...AE, safer: 'add a column of the new type, backfill in batches, switch readers, drop the old column' }];
  },
  addColumnNotNull(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || isNew(st, ctx)) return [];
    const bad = cmds(b).some((c) => c.subtype === 'AT_AddColumn' && (c.def?.ColumnDef?.constraints ?? []).some((x: any) => x.Constraint?.contype === 'CONSTR_NOTNULL')
      && !(c.def?.ColumnDef?.constraints ?? []).some((x: any) => x.Constraint?.contype === 'CONSTR_DEFAULT'));
    if (!bad) return [];
    return [{ code: 'add-column-not-null', severity: 'warning', risk: 'high', what: `adds a NOT NULL column without a default to ${rel(st)}: it fails on any existing row`, ...AE, safer: 'add it nullable (or with a constant default), backfill, then add the NOT NULL through a NOT VALID check' }];
  },
  volatileDefault(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || isNew(st, ctx)) return [];
    const fn = cmds(b).flatMap((c) => (c.subtype === 'AT_AddColumn' ? c.def?.ColumnDef?.constraints ?? [] : []))
      .map((x: any) => x.Constraint).filter((x: any) => x?.contype === 'CONSTR_DEFAULT')
      .map((x: any) => x.raw_expr?.FuncCall?.funcname?.map((n: any) => n.String?.sval).pop()).find((n: string) => VOLATILE.has(n));
    if (!fn) return [];
    return [{ code: 'volatile-default', severity: 'warning', risk: 'high', what: `adds a column with the volatile default ${fn}(): the whole table is rewritten`, ...AE, safer: 'add the column without a default, set the default for new rows, backfill old rows in batches' }];
  },
  setNotNull(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || isNew(st, ctx) || !cmds(b).some((c) => c.subtype === 'AT_SetNotNull')) return [];
    return [{ code: 'set-not-null', severity: 'warning', risk: 'medium', what: `sets NOT NULL on an existing column of ${rel(st)}: the whole table is scanned under the lock`, ...AE, safer: 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT, then SET NOT NULL (it uses the check)' }];
  },
  indexWithoutConcurrently(st, ctx) {
    const [k, b] = kindOf(st);
    if (k === 'IndexStmt' && !b.concurrent && !isNew(st, ctx)) {
      return [{ code: 'index-not-concurrent', severity: 'warning', risk: 'medium', what: `builds an index on ${rel(st)} without CONCURRENTLY`, ...SHARE, safer: 'CREATE INDEX CONCURRENTLY in a step with transaction: false' }];
    }
    if (k === 'DropStmt' && b.removeType === 'OBJECT_INDEX' && !b.concurrent) {
      return [{ code: 'index-not-concurrent', severity: 'warning', risk: 'medium', what: 'drops an index without CONCURRENTLY', ...AE, safer: 'DROP INDEX CONCURRENTLY in a step with transaction: false' }];
    }
    if (k === 'ReindexStmt' && !(b.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently')) {
      return [{ code: 'index-not-concurrent', severity: 'warning', risk: 'medium', what: 'reindexes without CONCURRENTLY', ...AE, safer: 'REINDEX ... CONCURRENTLY in a step with transaction: false' }];
    }
    return [];
  },
  concurrentlyInTransaction(st, ctx) {
    const [k, b] = kindOf(st);
    const concurrent = (k === 'IndexStmt' || k === 'DropStmt') ? b.concurrent : k === 'ReindexStmt' && (b.params ?? []).some((p: any) => p.DefElem?.defname === 'concurrently');
    if (!concurrent || !ctx.transactional) return [];
    return [{ code: 'concurrently-in-transaction', severity: 'error', risk: 'medium', what: 'CONCURRENTLY cannot run inside a transaction block, and this step runs in one', lock: null, blocks: null, safer: 'add transaction: false to this step (and keep it to this one statement)' }];
  },
  constraintWithoutNotValid(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || isNew(st, ctx)) return [];
    return cmds(b).filter((c) => c.subtype === 'AT_AddConstraint').map((c) => c.def?.Constraint ?? {})
      .filter((c) => (c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation)
      .map((c) => ({
        code: c.contype === 'CONSTR_FOREIGN' ? 'foreign-key-not-valid' : 'check-not-valid', severity: 'warning' as const, risk: 'medium' as const,
        what: `adds a ${c.contype === 'CONSTR_FOREIGN' ? 'foreign key' : 'CHECK constraint'} without NOT VALID: every row is checked under the lock`,
        ...(c.contype === 'CONSTR_FOREIGN' ? SRE : AE),
        safer: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later step (it takes a weaker lock)',
      }));
  },
  uniqueWithoutIndex(st, ctx) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterTableStmt' || isNew(st, ctx)) return [];
    const hit = cmds(b).filter((c) => c.subtype === 'AT_AddConstraint').map((c) => c.def?.Constraint ?? {})
      .find((c) => (c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') && !c.indexname);
    if (!hit) return [];
    return [{ code: 'unique-not-using-index', severity: 'warning', risk: 'medium', what: `adds ${hit.contype === 'CONSTR_PRIMARY' ? 'a PRIMARY KEY' : 'a UNIQUE constraint'} that builds its index under the lock`, ...AE, safer: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX' }];
  },
  bulkWithoutWhere(st) {
    const [k, b] = kindOf(st);
    if ((k !== 'UpdateStmt' && k !== 'DeleteStmt') || b.whereClause) return [];
    return [{ code: k === 'UpdateStmt' ? 'update-without-where' : 'delete-without-where', severity: 'warning', risk: 'high', what: `${k === 'UpdateStmt' ? 'updates' : 'deletes'} every row of ${rel(st)} in one statement`, lock: 'ROW EXCLUSIVE (and a lock on every row)', blocks: 'concurrent writes to those rows, for as long as it runs', safer: 'work in batches (WHERE id IN (... LIMIT n)), committing between them' }];
  },
  dmlWithDdl(st, ctx) {
    const [k] = kindOf(st);
    if ((k !== 'UpdateStmt' && k !== 'DeleteStmt') || !ctx.hasDdl || !ctx.transactional || isNew(st, ctx)) return [];
    return [{ code: 'dml-with-ddl', severity: 'warning', risk: 'high', what: 'bulk data changes in the same transaction as DDL: the DDL lock is held until the data change ends', ...AE, safer: 'put the schema change and the data change in separate steps' }];
  },
};

const OPEN = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const CLOSE = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);
const txError = (code: string, offset: number, what: string, safer: string): LintFinding =>
  ({ code, severity: 'error', risk: 'high', offset, what, lock: null, blocks: null, safer });

/**
 * Rules over the whole step: transaction statements. In a transactional step
 * migrate owns the transaction, so any statement that ends it (COMMIT, END,
 * ROLLBACK, PREPARE) or opens another breaks the promise that the step is one
 * unit; with transaction: false every BEGIN must be closed and none nested.
 */
export function transactionFindings(statements: Statement[], transactional = true): LintFinding[] {
  const out: LintFinding[] = [];
  const savepoints = new Set<string>();
  let open: Statement | null = null;
  for (const st of statements) {
    const [k, b] = kindOf(st);
    if (k !== 'TransactionStmt') continue;
    const kind = b.kind as string;
    if (transactional) {
      if (OPEN.has(kind) || CLOSE.has(kind) || kind.endsWith('_PREPARED')) {
        out.push(txError('transaction-control', st.offset, `${st.text.split(/\s/)[0].toUpperCase()} inside a step that migrate runs in a transaction: `
          + 'statements before it would be committed or lost while the step reports one outcome, and those after it would run without lock_timeout',
        'drop it and let the step be one transaction, or split the step; use transaction: false only for statements that cannot run in one'));
      } else if (kind === 'TRANS_STMT_SAVEPOINT') savepoints.add(b.savepoint_name);
      else if (kind === 'TRANS_STMT_ROLLBACK_TO' || (kind === 'TRANS_STMT_RELEASE' && !savepoints.has(b.savepoint_name))) {
        out.push(txError('transaction-control', st.offset, kind === 'TRANS_STMT_RELEASE' ? `RELEASE of a savepoint the step never declared (${b.savepoint_name})`
          : 'ROLLBACK TO SAVEPOINT silently undoes statements the step then reports as done', 'drop the savepoint statements: a step cannot branch on errors, it succeeds or rolls back whole'));
      }
      continue;
    }
    if (OPEN.has(kind)) {
      if (open) out.push(txError('nested-transaction', st.offset, 'BEGIN inside an open transaction: PostgreSQL ignores it, and the first COMMIT commits both', 'COMMIT the first transaction before the next BEGIN'));
      open = st;
    } else if (CLOSE.has(kind)) open = null;
  }
  if (open) {
    out.push(txError('begin-without-commit', open.offset, 'BEGIN without COMMIT: the transaction is still open when the step ends, so migrate rolls it back and the step fails',
      'add the COMMIT, or drop BEGIN and let migrate run the step in a transaction (the default)'));
  }
  return out;
}
