// The lint in validate: locations, configuration, runbook-wide facts. (Rule by rule: test/lint/corpus.test.ts.)
import { describe, expect, it } from 'vitest';
import { lintSql, varsInLiterals } from '../../src/pg/lint.js';
import { validateSource } from '../../src/runbook/validate.js';

describe('sql lint', () => {
  it('a table created in the same step may be indexed and altered freely', async () => {
    expect(
      await lintSql(
        'CREATE TABLE n (id int); CREATE INDEX n_i ON n (id); ALTER TABLE n ALTER COLUMN id SET NOT NULL',
        true,
      ),
    ).toEqual([]);
  });

  it('finds ${var} inside quoted literals only', async () => {
    expect(await varsInLiterals("SELECT ${a}, '${b}'")).toEqual([14]);
    // libpg-query counts UTF-8 bytes; offsets here are characters.
    const sql = "SELECT 'héllo wörld', '${b}'";
    expect(await varsInLiterals(sql)).toEqual([sql.indexOf('${b}')]);
  });
});

describe('sql lint in validate', () => {
  const rb = (sql: string, extra = '') =>
    `version: 1\nname: s\nvars:\n  who: { default: x }\nstages:\n  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - sql: |\n          SELECT 1;\n          ${sql}\n${extra}`;

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
    ['CREATE INDEX CONCURRENTLY i ON t (c);', 'sql-concurrently-in-transaction', 11],
    ["SELECT 'hello ${who}';", 'sql-var-in-literal', 25],
    ['SELEC 1;', 'sql-syntax', 11],
  ])('%s is an error', async (sql, code, column) => {
    const r = await validateSource('x.yaml', rb(sql));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual(expect.objectContaining({ code, line: 12, column }));
  });
});

describe('lint configuration', () => {
  const book = (steps: string, top = '') =>
    `version: 1\nname: s\n${top}stages:\n  - id: 1\n    name: one\n    irreversible: true\n    steps:\n${steps}`;
  const codes = async (yaml: string, strict = false) => {
    const r = await validateSource('x.yaml', yaml, { strict });
    return r.ok ? r.value.warnings.map((w) => w.code) : r.errors.map((e) => e.code);
  };

  it('plain TRUNCATE is a policy rule: off by default, on with lint.enable; CASCADE always reported', async () => {
    expect(await codes(book('      - sql: TRUNCATE t\n'))).toEqual([]);
    expect(await codes(book('      - sql: TRUNCATE t\n', 'lint: { enable: [truncate] }\n'))).toEqual(['sql-truncate']);
    expect(await codes(book('      - sql: TRUNCATE t\n        lint: { enable: [truncate] }\n'))).toEqual([
      'sql-truncate',
    ]);
    expect(await codes(book('      - sql: TRUNCATE t CASCADE\n'))).toEqual(['sql-truncate-cascade']);
  });

  it('hygiene rules are off by default, on under --strict or lint.hygiene (runbook or step)', async () => {
    const steps = '      - sql: CREATE TABLE IF NOT EXISTS t (id int)\n';
    expect(await codes(book(steps))).toEqual([]);
    expect(await codes(book(steps), true)).toEqual(['sql-prefer-bigint']);
    expect(await codes(book(steps, 'lint: { hygiene: true }\n'))).toEqual(['sql-prefer-bigint']);
    expect(await codes(book(`${steps}        lint: { hygiene: true }\n`))).toEqual(['sql-prefer-bigint']);
    expect(await codes(book(`${steps}        lint: { hygiene: false }\n`), true)).toEqual([]);
  });

  it('lint.disable turns a rule off for the runbook or one step', async () => {
    const steps = '      - sql: ALTER TABLE t DROP COLUMN c\n';
    expect(await codes(book(steps, 'lint: { disable: [drop-column] }\n'))).toEqual([]);
    expect(await codes(book(`${steps}        lint: { disable: [drop-column] }\n`))).toEqual([]);
  });

  it('an unknown rule in lint or allow is an error that suggests the right one', async () => {
    const r = await validateSource(
      'x.yaml',
      book('      - sql: ALTER TABLE t DROP COLUMN c\n        allow: [drop-colum]\n'),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual(
      expect.objectContaining({
        code: 'lint-rule-unknown',
        line: 9,
        message: expect.stringContaining("did you mean 'drop-column'"),
      }),
    );
  });

  it('the target PostgreSQL version changes what is safe', async () => {
    const steps = "      - sql: ALTER TABLE t ADD COLUMN status text DEFAULT 'new'\n";
    expect(await codes(book(steps))).toEqual([]);
    expect(await codes(book(steps, 'lint: { postgres: 10 }\n'))).toEqual(['sql-add-column-default-rewrite']);
  });

  it('SET NOT NULL after a validated CHECK (col IS NOT NULL) in earlier steps is clean on 12+, not before', async () => {
    const steps = [
      '      - sql: ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID',
      '      - sql: ALTER TABLE t VALIDATE CONSTRAINT t_c_nn',
      '      - sql: ALTER TABLE t ALTER COLUMN c SET NOT NULL',
      '',
    ].join('\n');
    expect(await codes(book(steps))).toEqual([]);
    expect(await codes(book(steps, 'lint: { postgres: 11 }\n'))).toEqual(['sql-set-not-null']);
    expect(
      await codes(
        book(
          steps
            .split('\n')
            .filter((l) => !l.includes('VALIDATE'))
            .join('\n'),
        ),
      ),
    ).toEqual(['sql-set-not-null']);
  });

  it('REINDEX SYSTEM is not told to use CONCURRENTLY (PostgreSQL refuses it)', async () => {
    expect(await lintSql('REINDEX SYSTEM app', false)).toEqual([]);
  });
});
