// Every lint rule fires on its statement and not on its safe twin.
import { describe, expect, it } from 'vitest';
import { lintRules } from '../../src/pg/lint-rules.js';
import { lintSql, varsInLiterals } from '../../src/pg/lint.js';
import { validateSource } from '../../src/runbook/validate.js';

const cases: [code: string, risky: string, safe: string, transactional?: boolean][] = [
  ['drop-table', 'DROP TABLE orders', 'DROP VIEW orders_v'],
  ['drop-schema', 'DROP SCHEMA old CASCADE', 'DROP FUNCTION f()'],
  ['drop-column', 'ALTER TABLE t DROP COLUMN c', 'ALTER TABLE t ADD COLUMN c int'],
  ['truncate', 'TRUNCATE t', "DELETE FROM t WHERE created < now() - interval '1 year'"],
  ['rename-table', 'ALTER TABLE t RENAME TO u', 'CREATE VIEW u AS SELECT * FROM t'],
  ['rename-column', 'ALTER TABLE t RENAME COLUMN a TO b', 'ALTER TABLE t ADD COLUMN b int'],
  ['alter-column-type', 'ALTER TABLE t ALTER COLUMN a TYPE bigint', 'ALTER TABLE t ADD COLUMN a_big bigint'],
  ['add-column-not-null', 'ALTER TABLE t ADD COLUMN c int NOT NULL', 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0'],
  ['volatile-default', 'ALTER TABLE t ADD COLUMN id2 uuid DEFAULT gen_random_uuid()', "ALTER TABLE t ADD COLUMN status text DEFAULT 'new'"],
  ['set-not-null', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL', 'ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID'],
  ['index-not-concurrent', 'CREATE INDEX i ON t (c)', 'CREATE INDEX CONCURRENTLY i ON t (c)', false],
  ['index-not-concurrent', 'DROP INDEX i', 'DROP INDEX CONCURRENTLY i', false],
  ['index-not-concurrent', 'REINDEX INDEX i', 'REINDEX INDEX CONCURRENTLY i', false],
  ['concurrently-in-transaction', 'CREATE INDEX CONCURRENTLY i ON t (c)', 'CREATE INDEX CONCURRENTLY i ON t (c)', true],
  ['foreign-key-not-valid', 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id)', 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID'],
  ['check-not-valid', 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0)', 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID'],
  ['unique-not-using-index', 'ALTER TABLE t ADD CONSTRAINT uq UNIQUE (c)', 'ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX uq_idx'],
  ['unique-not-using-index', 'ALTER TABLE t ADD PRIMARY KEY (id)', 'ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY USING INDEX pk_idx'],
  ['update-without-where', 'UPDATE t SET c = 1', 'UPDATE t SET c = 1 WHERE id BETWEEN 1 AND 1000'],
  ['delete-without-where', 'DELETE FROM t', 'DELETE FROM t WHERE id < 1000'],
  ['dml-with-ddl', 'ALTER TABLE t ADD COLUMN d int; UPDATE t SET d = 1 WHERE id < 10', 'UPDATE t SET d = 1 WHERE id < 10'],
  ['begin-without-commit', 'BEGIN; UPDATE t SET c = 1 WHERE id = 1', 'BEGIN; UPDATE t SET c = 1 WHERE id = 1; COMMIT', false],
];

describe('sql lint', () => {
  it.each(cases)('%s: fires on "%s", not on "%s"', async (code, risky, safe, transactional) => {
    const concurrentTwin = code === 'concurrently-in-transaction';
    const hits = await lintSql(risky, transactional ?? true);
    expect(hits.map((f) => f.code)).toContain(code);
    const hit = hits.find((f) => f.code === code)!;
    expect(hit.safer.length).toBeGreaterThan(10);
    if (hit.severity === 'warning' && code !== 'begin-without-commit') expect(hit.lock).toBeTruthy();
    const twin = await lintSql(safe, concurrentTwin ? false : transactional ?? true);
    expect(twin.map((f) => f.code)).not.toContain(code);
  });

  it('covers every rule', () => {
    const fired = new Set(cases.map(([c]) => c));
    const perRule: Record<string, string[]> = {
      dropTable: ['drop-table'], dropSchema: ['drop-schema'], dropColumn: ['drop-column'], truncate: ['truncate'], rename: ['rename-table', 'rename-column'],
      alterColumnType: ['alter-column-type'], addColumnNotNull: ['add-column-not-null'], volatileDefault: ['volatile-default'], setNotNull: ['set-not-null'],
      indexWithoutConcurrently: ['index-not-concurrent'], concurrentlyInTransaction: ['concurrently-in-transaction'],
      constraintWithoutNotValid: ['foreign-key-not-valid', 'check-not-valid'], uniqueWithoutIndex: ['unique-not-using-index'],
      bulkWithoutWhere: ['update-without-where', 'delete-without-where'], dmlWithDdl: ['dml-with-ddl'],
    };
    expect(Object.keys(lintRules).sort()).toEqual(Object.keys(perRule).sort());
    for (const codes of Object.values(perRule)) for (const c of codes) expect(fired).toContain(c);
  });

  it('a table created in the same step may be indexed and altered freely', async () => {
    expect(await lintSql('CREATE TABLE n (id int); CREATE INDEX n_i ON n (id); ALTER TABLE n ALTER COLUMN id SET NOT NULL', true)).toEqual([]);
  });

  it('finds ${var} inside quoted literals only', async () => {
    expect(await varsInLiterals("SELECT ${a}, '${b}'")).toEqual([14]);
  });
});

describe('sql lint in validate', () => {
  const rb = (sql: string, extra = '') => `version: 1\nname: s\nvars:\n  who: { default: x }\nstages:\n  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - sql: |\n          SELECT 1;\n          ${sql}\n${extra}`;

  it('locates a finding at its statement inside the block scalar, and raises risk', async () => {
    const r = await validateSource('x.yaml', rb('ALTER TABLE t DROP COLUMN c;'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.warnings).toContainEqual(expect.objectContaining({ code: 'sql-drop-column', line: 12, column: 11 }));
    const { compileStageLinted } = await import('../../src/plan/compile.js');
    const { resolveVars } = await import('../../src/runbook/vars.js');
    const g = await compileStageLinted(r.value.runbook, 1, resolveVars(r.value.runbook));
    expect(g.risk).toMatchObject({ declared: 'low', effective: 'high', reasons: ['sql-drop-column (high)'] });
  });

  it('allow: accepts a finding on purpose (no warning), and it still raises risk', async () => {
    const r = await validateSource('x.yaml', rb('ALTER TABLE t DROP COLUMN c;', '        allow: [drop-column]\n'));
    expect(r.ok && r.value.warnings).toEqual([]);
  });

  it.each([
    ["CREATE INDEX CONCURRENTLY i ON t (c);", 'sql-concurrently-in-transaction', 11],
    ["SELECT 'hello ${who}';", 'sql-var-in-literal', 25],
    ['SELEC 1;', 'sql-syntax', 11],
  ])('%s is an error', async (sql, code, column) => {
    const r = await validateSource('x.yaml', rb(sql));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual(expect.objectContaining({ code, line: 12, column }));
  });
});
