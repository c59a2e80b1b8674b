// sql steps keep their transaction promise, CONCURRENTLY retries leave no INVALID
// index behind, and lock errors name who blocked them: against a real PostgreSQL.
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSql } from '../../src/pg/execute.js';
import { resolveVars } from '../../src/runbook/vars.js';
import type { Action, Runbook } from '../../src/runbook/types.js';
import { freshDatabase, sql, withClient } from '../helpers/pg.js';
import { exited, runbook, sandbox } from '../helpers/sandbox.js';

const head = 'vars:\n  db: { env: DATABASE_URL, secret: true }\n';
const tables = async (url: string) =>
  (await sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.tablename);
const vars = resolveVars({ version: 1, name: 't', stages: [] } as unknown as Runbook);
const run = (url: string, a: Omit<Action, 'database'>) => runSql({ ...a, database: url }, vars, { baseDelayMs: 20 });
const step = (body: string) =>
  runbook(`  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - ${body}\n`, head);

/** Resolves once the child's stdout contains text. */
function output(child: ChildProcess, text: string, ms = 20_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${text}" in: ${seen}`)), ms);
    child.stdout!.on('data', (d) => {
      seen += String(d);
      if (seen.includes(text)) {
        clearTimeout(t);
        resolve(seen);
      }
    });
  });
}

const indexState = async (url: string, name: string) =>
  (await sql(url, 'SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)', [name]))[0]?.indisvalid as
    boolean | undefined;

describe('transaction control inside a step', () => {
  it('COMMIT inside a transactional step is a located validation error', () => {
    const box = sandbox(
      step('sql: |\n          CREATE TABLE a (id int);\n          COMMIT;\n          CREATE TABLE b (id int);'),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/migrate\.yaml:12:11.*sql-transaction-control/);
  });

  it('at run time, a COMMIT that ends the step transaction stops the step and says what was committed', async () => {
    const url = await freshDatabase();
    const r = await run(url, { sql: 'CREATE TABLE a (id int); COMMIT; CREATE TABLE b (id int); SELECT 1/0;' });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('statement 2 of 4 ended the step transaction');
    expect(r.message).toContain('COMMITTED');
    expect(await tables(url)).toEqual(['a']);
  });

  it('at run time, a ROLLBACK inside the step stops it before anything runs outside the transaction', async () => {
    const url = await freshDatabase();
    const r = await run(url, { sql: 'CREATE TABLE a (id int); ROLLBACK; CREATE TABLE b (id int)' });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('ended the step transaction');
    expect(await tables(url)).toEqual([]);
  });

  it('transaction: false with a second BEGIN left open is a validation error at that BEGIN', () => {
    const box = sandbox(
      step(
        'sql: "BEGIN; CREATE TABLE a (id int); COMMIT; BEGIN; CREATE TABLE posts (id int);"\n        transaction: false',
      ),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/migrate\.yaml:10:55.*sql-begin-without-commit/);
  });

  it('at run time, a transaction: false step that ends inside a transaction fails and is rolled back', async () => {
    const url = await freshDatabase();
    const r = await run(url, {
      sql: 'BEGIN; CREATE TABLE a (id int); COMMIT; BEGIN; CREATE TABLE posts (id int);',
      transaction: false,
    });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('ended inside a transaction');
    expect(await tables(url)).toEqual(['a']);
  });

  it('at run time, a failing statement inside an explicit BEGIN of a transaction: false step is rolled back', async () => {
    const url = await freshDatabase();
    const r = await run(url, { sql: 'BEGIN; CREATE TABLE a (id int); SELECT 1/0; COMMIT;', transaction: false });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('division by zero');
    expect(await tables(url)).toEqual([]);
  });
});

describe('CREATE INDEX CONCURRENTLY and the lock timeout', () => {
  // A writer's open transaction: CONCURRENTLY creates its (invalid) index, then waits for it and times out.
  async function blockedRetry(url: string, create: string) {
    await sql(url, 'CREATE TABLE docs (id int)');
    const box = sandbox(step(`sql: ${create}\n        transaction: false\n        lock_timeout: 300ms`));
    return withClient(url, async (writer) => {
      await writer.query('BEGIN');
      await writer.query('INSERT INTO docs VALUES (1)');
      const child = box.spawn(['stage', '1'], { DATABASE_URL: url });
      const seen = output(child, 'attempt 1 of 5');
      let out = '';
      child.stdout!.on('data', (d) => {
        out += String(d);
      });
      child.stderr!.on('data', (d) => {
        out += String(d);
      });
      await seen;
      expect(await indexState(url, 'docs_id')).toBe(false);
      await writer.query('COMMIT');
      return { code: await exited(child), out };
    });
  }

  it('a retry drops the INVALID index the failed attempt left, instead of failing on "already exists"', async () => {
    const url = await freshDatabase();
    const { code, out } = await blockedRetry(url, 'CREATE INDEX CONCURRENTLY docs_id ON docs (id)');
    expect(code, out).toBe(0);
    expect(await indexState(url, 'docs_id')).toBe(true);
  });

  it('with IF NOT EXISTS the retry rebuilds the index rather than skipping the INVALID one', async () => {
    const url = await freshDatabase();
    const { code, out } = await blockedRetry(url, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS docs_id ON docs (id)');
    expect(code, out).toBe(0);
    expect(await indexState(url, 'docs_id')).toBe(true);
  });

  it('an INVALID index left by an earlier run fails the step after it, naming the index', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE docs (id int)');
    await withClient(url, async (writer) => {
      await writer.query('BEGIN');
      await writer.query('INSERT INTO docs VALUES (1)');
      await withClient(url, async (c) => {
        await c.query("SET lock_timeout = '100ms'");
        await expect(c.query('CREATE INDEX CONCURRENTLY docs_id ON docs (id)')).rejects.toThrow(/lock timeout/);
      });
      await writer.query('COMMIT');
    });
    expect(await indexState(url, 'docs_id')).toBe(false);
    const r = await run(url, {
      sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS docs_id ON docs (id)',
      transaction: false,
    });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('docs_id is INVALID');
  });
});

describe('lock errors', () => {
  it('name the blocking session: pid, application_name, state and when its query started', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE busy (id int)');
    const box = sandbox(step('sql: ALTER TABLE busy ADD COLUMN x int;\n        lock_timeout: 100ms'));
    await withClient(url, async (holder) => {
      await holder.query("SET application_name = 'nightly-report'");
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE busy IN ACCESS SHARE MODE');
      const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const r = box.run(['stage', '1'], { DATABASE_URL: url });
      expect(r.code).toBe(1);
      const out = r.stdout + r.stderr;
      expect(out).toContain(`blocked by pid ${pid}`);
      expect(out).toContain("application_name 'nightly-report'");
      expect(out).toContain("state 'idle in transaction'");
      expect(out).toMatch(/query started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      await holder.query('ROLLBACK');
    });
  });
});

describe('errors outside the statements', () => {
  const DEFERRED =
    'CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, parent_id int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);';

  it('a deferred foreign key that fails at COMMIT is blamed on the COMMIT, not on a statement past the last one', async () => {
    const url = await freshDatabase();
    const r = await run(url, { sql: `${DEFERRED} INSERT INTO child VALUES (1, 42);` });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('violates foreign key constraint "child_parent_id_fkey" (SQLSTATE 23503) at COMMIT');
    expect(r.message).toContain('after its 3 statements ran');
    expect(r.message).not.toMatch(/statement \d+ of/);
    expect(await tables(url)).toEqual([]);
  });

  it('through the CLI, the COMMIT failure names the step and where it is in the runbook', async () => {
    const url = await freshDatabase();
    await sql(url, DEFERRED);
    const box = sandbox(
      step(
        'id: orphans\n        sql: |\n          INSERT INTO child VALUES (1, 42);\n          INSERT INTO child VALUES (2, 43);',
      ),
    );
    const r = box.run(['stage', '1'], { DATABASE_URL: url });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(
      'step \'orphans\' failed: insert or update on table "child" violates foreign key constraint "child_parent_id_fkey" (SQLSTATE 23503) at COMMIT of the step at migrate.yaml:10:9, after its 2 statements ran',
    );
    expect(r.stdout + r.stderr).not.toMatch(/statement 3 of 2/);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM child')).toEqual([{ n: 0 }]);
  });
});
