/**
 * SQL safety rules (SPEC 5), one small function each, over statements parsed
 * by PostgreSQL's own parser. Each finding names the lock it takes, what that
 * blocks, and the safer expand / migrate / contract pattern.
 */
import type { Risk } from '../runbook/types.js';
import { constraintsOf, SERIALS, typeOf, volatileCall, type KnownVolatility } from './lint-expr.js';
import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, Node, RangeVar } from '@pgsql/types';
import { kindOf, names, nodeAs, relName, type Statement } from './parse.js';

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

/** What the rules know beyond the statement at hand. */
export interface StepContext {
  transactional: boolean;
  /** Target PostgreSQL major version: rules differ before 11, 12 and 14. */
  pg: number;
  /** Tables created earlier in the same step: new and empty, so their locks harm no one. */
  created: Set<string>;
  /** Whether any statement of the step is DDL. */
  hasDdl: boolean;
  /** Constraints added NOT VALID earlier in this step. */
  notValid: Set<string>;
  /** table.column pairs with a validated CHECK (col IS NOT NULL), from earlier steps of the runbook too. */
  notNullChecks: Set<string>;
  /** Functions whose volatility is known (the database, the runbook's CREATE FUNCTION): a default calling them is judged by it. */
  volatility?: KnownVolatility;
}

type Found = Omit<LintFinding, 'offset'>;
type Rule = (st: Statement, ctx: StepContext) => Found[];

const AE = { lock: 'ACCESS EXCLUSIVE', blocks: 'every read and write of the table' };
const SHARE = { lock: 'SHARE', blocks: 'writes (INSERT, UPDATE, DELETE) to the table' };
const SRE = { lock: 'SHARE ROW EXCLUSIVE', blocks: 'writes to both tables' };
const NONE = { lock: null, blocks: null };

const warn = (
  code: string,
  risk: Risk,
  what: string,
  lock: { lock: string | null; blocks: string | null },
  safer: string,
): Found => ({ code, severity: 'warning', risk, what, ...lock, safer });

export const nameOf = (rv: RangeVar | undefined) => relName(rv);
export const cmds = (body: AlterTableStmt): AlterTableCmd[] =>
  (body.cmds ?? []).map((c) => nodeAs(c, 'AlterTableCmd') ?? {});
const altered = (st: Statement): [AlterTableCmd[], string] | null => {
  const [k, b] = kindOf(st);
  return k === 'AlterTableStmt' && b.objtype === 'OBJECT_TABLE' ? [cmds(b), nameOf(b.relation)] : null;
};
/** The table the statement changes was created earlier in the step. */
const isNew = (st: Statement, ctx: StepContext) => {
  const [, b] = kindOf(st);
  // Most statements name their table as a RangeVar; a few hold another node there.
  const relation = 'relation' in b && b.relation && 'relname' in b.relation ? b.relation : undefined;
  return Boolean(relation) && ctx.created.has(nameOf(relation));
};
/** The columns an ALTER TABLE adds (ColumnDef nodes). */
export const addedColumns = (c: AlterTableCmd[]): ColumnDef[] =>
  c.filter((x) => x.subtype === 'AT_AddColumn').map((x) => nodeAs(x.def, 'ColumnDef') ?? {});
const addedConstraints = (c: AlterTableCmd[]): Constraint[] =>
  c.filter((x) => x.subtype === 'AT_AddConstraint').map((x) => nodeAs(x.def, 'Constraint') ?? {});
/** Whether a DefElem list (options, params) names this option. */
const hasOption = (list: Node[] | undefined, name: string) =>
  (list ?? []).some((p) => nodeAs(p, 'DefElem')?.defname === name);
const reindexConcurrent = (b: { params?: Node[] }) => hasOption(b.params, 'concurrently');
const isConcurrent = (st: Statement): boolean => {
  const [k, b] = kindOf(st);
  if (k === 'IndexStmt' || k === 'DropStmt') return Boolean(b.concurrent);
  if (k === 'ReindexStmt') return reindexConcurrent(b);
  return (
    k === 'AlterTableStmt' &&
    cmds(b).some((c) => c.subtype === 'AT_DetachPartition' && nodeAs(c.def, 'PartitionCmd')?.concurrent)
  );
};

const FK_SAFER = 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later step (it takes a weaker lock)';
const UNIQUE_SAFER = 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX';

/** Rules about dropping and renaming: data or names running code still uses. */
const removal: Record<string, Rule> = {
  drop(st, ctx) {
    const [k, b] = kindOf(st);
    if (k === 'DropdbStmt')
      return [
        warn(
          'drop-database',
          'critical',
          `drops the database ${b.dbname} and everything in it`,
          NONE,
          'keep a backup, and drop it in a separate change once nothing connects to it',
        ),
      ];
    if (k !== 'DropStmt') return [];
    if (b.removeType === 'OBJECT_TABLE') {
      const tables = (b.objects ?? []).map((o) => names(nodeAs(o, 'List')?.items).join('.'));
      if (tables.every((n) => ctx.created.has(n))) return [];
      return [
        warn(
          'drop-table',
          'critical',
          'drops a table and its data',
          AE,
          'contract last: stop every reader and writer first (a release earlier), keep a backup or rename it aside, drop in a later stage',
        ),
      ];
    }
    if (b.removeType === 'OBJECT_SCHEMA')
      return [
        warn(
          'drop-schema',
          'critical',
          'drops a schema and everything in it',
          AE,
          'move what must survive out first; drop only an emptied schema',
        ),
      ];
    return [];
  },
  dropColumn(st) {
    const a = altered(st);
    if (!a || !a[0].some((c) => c.subtype === 'AT_DropColumn')) return [];
    return [
      warn(
        'drop-column',
        'high',
        `drops a column of ${a[1]} (its data is gone)`,
        AE,
        'expand/contract: stop reading and writing the column in a release first, then drop it in a later stage',
      ),
    ];
  },
  truncate(st) {
    const [k, b] = kindOf(st);
    if (k !== 'TruncateStmt') return [];
    if (b.behavior === 'DROP_CASCADE')
      return [
        warn(
          'truncate-cascade',
          'critical',
          'TRUNCATE ... CASCADE also empties every table with a foreign key to it, which the statement does not name',
          AE,
          'truncate the tables you mean by name, without CASCADE',
        ),
      ];
    return [
      warn(
        'truncate',
        'critical',
        'empties a table',
        AE,
        'delete in batches with a WHERE clause, or swap in a new table',
      ),
    ];
  },
  rename(st) {
    const [k, b] = kindOf(st);
    const safer =
      'expand/contract: add the new name (a column, or a view for a table), write both, move readers, drop the old one later';
    if (k === 'AlterEnumStmt' && b.oldVal !== undefined) {
      return [
        warn(
          'rename-enum-value',
          'high',
          `renames enum value '${b.oldVal}': running code and stored queries still use the old one`,
          NONE,
          'add the new value, move writers and rows to it, stop using the old one',
        ),
      ];
    }
    if (k !== 'RenameStmt') return [];
    if (b.renameType === 'OBJECT_TABLE')
      return [
        warn(
          'rename-table',
          'high',
          `renames table ${nameOf(b.relation)}: running code still uses the old name`,
          AE,
          safer,
        ),
      ];
    if (b.renameType === 'OBJECT_COLUMN')
      return [
        warn(
          'rename-column',
          'high',
          `renames column ${b.subname} of ${nameOf(b.relation)}: running code still uses the old name`,
          AE,
          safer,
        ),
      ];
    if (b.renameType === 'OBJECT_SCHEMA')
      return [
        warn(
          'rename-schema',
          'high',
          `renames schema ${b.subname}: every query naming it breaks`,
          NONE,
          'create the new schema and move objects over while code moves, then drop the old one',
        ),
      ];
    return [];
  },
};

/** Rules about columns: types, defaults, NOT NULL. */
const columns: Record<string, Rule> = {
  alterColumnType(st, ctx) {
    const a = altered(st);
    if (!a || isNew(st, ctx) || !a[0].some((c) => c.subtype === 'AT_AlterColumnType')) return [];
    return [
      warn(
        'alter-column-type',
        'high',
        `changes a column type of ${a[1]}: most changes rewrite the table`,
        AE,
        'add a column of the new type, backfill in batches, switch readers, drop the old column',
      ),
    ];
  },
  addColumn(st, ctx) {
    const a = altered(st);
    if (!a || isNew(st, ctx)) return [];
    const out: Found[] = [];
    for (const col of addedColumns(a[0])) {
      const cons = constraintsOf(col);
      const has = (t: string) => cons.some((c) => c.contype === t);
      const dflt = cons.find((c) => c.contype === 'CONSTR_DEFAULT');
      if (has('CONSTR_NOTNULL') && !dflt)
        out.push(
          warn(
            'add-column-not-null',
            'high',
            `adds a NOT NULL column without a default to ${a[1]}: it fails on any existing row`,
            AE,
            'add it nullable (or with a constant default), backfill, then add the NOT NULL through a NOT VALID check',
          ),
        );
      const fn = dflt ? volatileCall(dflt.raw_expr, ctx.volatility) : null;
      if (dflt && ctx.pg < 11)
        out.push(
          warn(
            'add-column-default-rewrite',
            'high',
            `adds a column with a default to ${a[1]}: before PostgreSQL 11 that rewrites the whole table`,
            AE,
            'add the column without a default, set the default for new rows, backfill old rows in batches',
          ),
        );
      else if (fn)
        out.push(
          warn(
            'volatile-default',
            'high',
            `adds a column with the volatile default ${fn}(...): the whole table is rewritten`,
            AE,
            'add the column without a default, set the default for new rows, backfill old rows in batches',
          ),
        );
      const auto = SERIALS.has(typeOf(col))
        ? typeOf(col)
        : has('CONSTR_IDENTITY')
          ? 'an identity'
          : has('CONSTR_GENERATED')
            ? 'a stored generated'
            : null;
      if (auto)
        out.push(
          warn(
            'add-column-rewrite',
            'high',
            `adds ${auto} column to ${a[1]}: every row gets a value, so the whole table is rewritten`,
            AE,
            'add a plain nullable column, backfill it in batches, then attach the default, sequence or identity',
          ),
        );
      if (typeOf(col) === 'json')
        out.push(
          warn(
            'json-column',
            'low',
            'adds a json column: json has no equality operator, so SELECT DISTINCT and UNION over the table start failing',
            NONE,
            'use jsonb',
          ),
        );
      if (has('CONSTR_FOREIGN'))
        out.push(
          warn(
            'foreign-key-not-valid',
            'medium',
            `adds a column with REFERENCES to ${a[1]}: the foreign key is validated under the lock`,
            SRE,
            `add the column, then ${FK_SAFER}`,
          ),
        );
      if (has('CONSTR_UNIQUE') || has('CONSTR_PRIMARY'))
        out.push(
          warn(
            'unique-not-using-index',
            'medium',
            'adds a column with UNIQUE or PRIMARY KEY: its index is built under the lock',
            AE,
            `add the column, then ${UNIQUE_SAFER}`,
          ),
        );
    }
    return out;
  },
  notNull(st, ctx) {
    const a = altered(st);
    if (!a || isNew(st, ctx)) return [];
    const out: Found[] = [];
    for (const c of a[0]) {
      if (c.subtype === 'AT_DropNotNull')
        out.push(
          warn(
            'drop-not-null',
            'medium',
            `drops NOT NULL from ${a[1]}.${c.name}: code that relies on it meets NULLs, and restoring it needs a full scan`,
            NONE,
            'make readers tolerate NULL in a release first, then drop it',
          ),
        );
      if (c.subtype === 'AT_SetNotNull' && !(ctx.pg >= 12 && ctx.notNullChecks.has(`${a[1]}.${c.name}`))) {
        out.push(
          warn(
            'set-not-null',
            'medium',
            `sets NOT NULL on an existing column of ${a[1]}: the whole table is scanned under the lock`,
            AE,
            ctx.pg >= 12
              ? 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT, then SET NOT NULL (it uses the check)'
              : 'before PostgreSQL 12 SET NOT NULL always scans: keep a validated CHECK (col IS NOT NULL) instead, or do it in a quiet window',
          ),
        );
      }
    }
    return out;
  },
};

/** Rules about indexes, constraints and table rewrites. */
const structure: Record<string, Rule> = {
  indexWithoutConcurrently(st, ctx) {
    const [k, b] = kindOf(st);
    const safer = (what: string) => `${what} CONCURRENTLY in a step with transaction: false`;
    if (k === 'IndexStmt' && !b.concurrent && !isNew(st, ctx))
      return [
        warn(
          'index-not-concurrent',
          'medium',
          `builds an index on ${nameOf(b.relation)} without CONCURRENTLY`,
          SHARE,
          safer('CREATE INDEX'),
        ),
      ];
    if (k === 'DropStmt' && b.removeType === 'OBJECT_INDEX' && !b.concurrent)
      return [warn('index-not-concurrent', 'medium', 'drops an index without CONCURRENTLY', AE, safer('DROP INDEX'))];
    // REINDEX SYSTEM cannot run CONCURRENTLY: telling people to would be wrong.
    if (k === 'ReindexStmt' && b.kind !== 'REINDEX_OBJECT_SYSTEM' && !reindexConcurrent(b) && ctx.pg >= 12)
      return [warn('index-not-concurrent', 'medium', 'reindexes without CONCURRENTLY', AE, safer('REINDEX ...'))];
    return [];
  },
  concurrently(st, ctx) {
    if (!isConcurrent(st)) return [];
    if (ctx.transactional)
      return [
        {
          code: 'concurrently-in-transaction',
          severity: 'error',
          risk: 'medium',
          what: 'CONCURRENTLY cannot run inside a transaction block, and this step runs in one',
          ...NONE,
          safer: 'add transaction: false to this step (and keep it to this one statement)',
        },
      ];
    const [k, b] = kindOf(st);
    if ((k === 'IndexStmt' && !b.if_not_exists) || (k === 'DropStmt' && !b.missing_ok)) {
      return [
        warn(
          'concurrently-not-idempotent',
          'low',
          `${k === 'IndexStmt' ? 'CREATE INDEX CONCURRENTLY without IF NOT EXISTS' : 'DROP INDEX CONCURRENTLY without IF EXISTS'}: running the step again (after a failure or with --resume) fails on what the first run did`,
          NONE,
          k === 'IndexStmt'
            ? 'CREATE INDEX CONCURRENTLY IF NOT EXISTS (migrate fails the step if the index it finds is INVALID)'
            : 'DROP INDEX CONCURRENTLY IF EXISTS',
        ),
      ];
    }
    return [];
  },
  detachPartition(st, ctx) {
    const a = altered(st);
    if (
      !a ||
      ctx.pg < 14 ||
      !a[0].some((c) => c.subtype === 'AT_DetachPartition' && !nodeAs(c.def, 'PartitionCmd')?.concurrent)
    )
      return [];
    return [
      warn(
        'detach-partition-not-concurrent',
        'medium',
        `detaches a partition of ${a[1]} without CONCURRENTLY`,
        { lock: 'ACCESS EXCLUSIVE', blocks: 'every read and write of the partitioned table' },
        'DETACH PARTITION ... CONCURRENTLY in a step with transaction: false',
      ),
    ];
  },
  constraints(st, ctx) {
    const a = altered(st);
    if (!a || isNew(st, ctx)) return [];
    const out: Found[] = [];
    for (const c of addedConstraints(a[0])) {
      if ((c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation) {
        const fk = c.contype === 'CONSTR_FOREIGN';
        out.push(
          warn(
            fk ? 'foreign-key-not-valid' : 'check-not-valid',
            'medium',
            `adds a ${fk ? 'foreign key' : 'CHECK constraint'} without NOT VALID: every row is checked under the lock`,
            fk ? SRE : AE,
            FK_SAFER,
          ),
        );
      }
      if ((c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') && !c.indexname) {
        out.push(
          warn(
            'unique-not-using-index',
            'medium',
            `adds ${c.contype === 'CONSTR_PRIMARY' ? 'a PRIMARY KEY' : 'a UNIQUE constraint'} that builds its index under the lock`,
            AE,
            UNIQUE_SAFER,
          ),
        );
      }
      if (c.contype === 'CONSTR_EXCLUSION')
        out.push(
          warn(
            'exclusion-constraint',
            'medium',
            `adds an exclusion constraint to ${a[1]}: its index is built and every row checked under the lock, and it cannot be NOT VALID`,
            AE,
            'create the constraint on a new table and move the data, or do it in a maintenance window',
          ),
        );
    }
    for (const c of a[0]) {
      if (c.subtype === 'AT_ValidateConstraint' && ctx.transactional && ctx.notValid.has(c.name ?? '')) {
        out.push(
          warn(
            'validate-in-same-transaction',
            'medium',
            `validates ${c.name} in the transaction that added it NOT VALID: the strong lock of the ADD is still held while every row is checked`,
            AE,
            'VALIDATE CONSTRAINT in a later step (its own transaction)',
          ),
        );
      }
    }
    return out;
  },
  alterDomain(st) {
    const [k, b] = kindOf(st);
    if (k !== 'AlterDomainStmt' || b.subtype !== 'C' || nodeAs(b.def, 'Constraint')?.skip_validation) return [];
    return [
      warn(
        'alter-domain-add-constraint',
        'medium',
        'adds a domain constraint: every column of that domain in every table is checked under lock',
        SHARE,
        'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later step',
      ),
    ];
  },
  tableRewrite(st) {
    const [k, b] = kindOf(st);
    const full = k === 'VacuumStmt' && hasOption(b.options, 'full');
    if (!full && k !== 'ClusterStmt') return [];
    return [
      warn(
        'table-rewrite',
        'high',
        `${full ? 'VACUUM FULL' : 'CLUSTER'} rewrites the table`,
        AE,
        'pg_repack (or pg_squeeze) rebuilds it online; or plain VACUUM',
      ),
    ];
  },
};

/** Rules about data changes. */
const data: Record<string, Rule> = {
  bulkWithoutWhere(st) {
    const [k, b] = kindOf(st);
    if ((k !== 'UpdateStmt' && k !== 'DeleteStmt') || b.whereClause) return [];
    return [
      warn(
        k === 'UpdateStmt' ? 'update-without-where' : 'delete-without-where',
        'high',
        `${k === 'UpdateStmt' ? 'updates' : 'deletes'} every row of ${nameOf(b.relation)} in one statement`,
        {
          lock: 'ROW EXCLUSIVE (and a lock on every row)',
          blocks: 'concurrent writes to those rows, for as long as it runs',
        },
        'work in batches (WHERE id IN (... LIMIT n)), committing between them',
      ),
    ];
  },
  dmlWithDdl(st, ctx) {
    const [k] = kindOf(st);
    if ((k !== 'UpdateStmt' && k !== 'DeleteStmt') || !ctx.hasDdl || !ctx.transactional || isNew(st, ctx)) return [];
    return [
      warn(
        'dml-with-ddl',
        'high',
        'bulk data changes in the same transaction as DDL: the DDL lock is held until the data change ends',
        AE,
        'put the schema change and the data change in separate steps',
      ),
    ];
  },
};

export const lintRules: Record<string, Rule> = { ...removal, ...columns, ...structure, ...data };
