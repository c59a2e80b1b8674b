// sql steps, sql checks and the postgres flag store against a real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { freshDatabase, sql, withClient } from '../helpers/pg.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

const head = 'vars:\n  db: { env: DATABASE_URL, secret: true }\n  note: { default: "plain" }\n';
const tables = async (url: string) =>
  (await sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.tablename);

describe('sql steps', () => {
  it('create, then undo_sql on rollback', async () => {
    const url = await freshDatabase();
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: create\n    steps:\n      - sql: CREATE TABLE widgets (id int PRIMARY KEY, note text);\n        undo_sql: DROP TABLE widgets;\n`,
        head,
      ),
    );
    const r = box.run(['stage', '1'], { DATABASE_URL: url });
    expect(r.code, r.stderr).toBe(0);
    expect(await tables(url)).toEqual(['widgets']);
    expect(box.run(['rollback', '--yes'], { DATABASE_URL: url }).code).toBe(0);
    expect(await tables(url)).toEqual([]);
    expect(r.stdout + box.read('.migrate/journal.jsonl')).not.toContain(url);
  });

  it('a step whose second statement fails leaves nothing behind, and says where', async () => {
    const url = await freshDatabase();
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: broken\n    irreversible: true\n    steps:\n      - sql: |\n          CREATE TABLE a (id int);\n          INSERT INTO a VALUES ('not a number');\n`,
        head,
      ),
    );
    const r = box.run(['stage', '1'], { DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('invalid input syntax for type integer');
    expect(r.stdout + r.stderr).toContain('statement 2 of 2, line 1 column 23');
    expect(await tables(url)).toEqual([]);
  });

  it('a blocked ALTER fails within the retry budget instead of hanging, naming the relation', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE busy (id int)');
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: alter\n    irreversible: true\n    steps:\n      - sql: ALTER TABLE busy ADD COLUMN x int;\n        lock_timeout: 100ms\n`,
        head,
      ),
    );
    await withClient(url, async (holder) => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const r = box.run(['stage', '1'], { DATABASE_URL: url });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('a lock blocked it on busy');
      expect(r.stdout).toContain('attempt 4 of 5');
      expect(Date.now() - started).toBeLessThan(20_000);
      await holder.query('ROLLBACK');
    });
    expect(
      (await sql(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'busy'"))[0]?.n,
    ).toBe(1);
  });

  it('a --set value with quotes and a semicolon is stored literally', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE notes (body text)');
    const evil = `it's"; DROP TABLE notes; --`;
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: insert\n    irreversible: true\n    steps:\n      - sql: INSERT INTO notes VALUES (\${note}), (\${note} || ' twice');\n`,
        head,
      ),
    );
    expect(box.run(['stage', '1', '--set', `note=${evil}`], { DATABASE_URL: url }).code).toBe(0);
    expect((await sql(url, 'SELECT body FROM notes ORDER BY 1')).map((r) => r.body).sort()).toEqual(
      [evil, `${evil} twice`].sort(),
    );
  });
});

describe('sql checks', () => {
  const check = (q: string, expect: string) =>
    runbook(
      `  - id: 1\n    name: c\n    irreversible: true\n    preflight:\n      - { name: probe, sql: "${q}", expect: "${expect}" }\n    steps: [{ run: "true" }]\n`,
      head,
    );

  it.each([
    ['SELECT 3', 'value == 3', 'passed', 0],
    ['SELECT 3', 'value < 3', 'failed', 1],
    ['SELECT 1 WHERE false', 'value == 1', 'inconclusive', 1],
    ['SELECT NULL', 'value == 1', 'inconclusive', 1],
    ['SELECT count(*) FROM pg_class', 'rows == 1 and value > 10', 'passed', 0],
  ])('%s with %s is %s', async (q, expect_, result, code) => {
    const url = await freshDatabase();
    const box = sandbox(check(q, expect_));
    const r = box.run(['check', '1', '--json'], { DATABASE_URL: url });
    expect(JSON.parse(r.stdout)[0].result).toBe(result);
    expect(box.run(['stage', '1'], { DATABASE_URL: url }).code).toBe(code);
  });

  it('a connection failure is an error sample', () => {
    const box = sandbox(check('SELECT 1', 'value == 1'));
    const r = box.run(['check', '1', '--json'], { DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none' });
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ result: 'error' });
    expect(r.stdout).not.toContain('nobody:x');
  });
});

describe('postgres flag store', () => {
  it('sets flags in a table applications can read, and restores them exactly', async () => {
    const url = await freshDatabase();
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: flags\n    steps:\n      - { id: a, flag: { name: read_jsonb, value: true } }\n      - { id: b, flag: { name: pool, value: "v2" } }\n`,
        `${head}flags: { store: postgres, table: app_flags }\n`,
      ),
    );
    expect(box.run(['flags', '--json'], { DATABASE_URL: url }).stdout.trim()).toBe('{}');
    await sql(url, `INSERT INTO app_flags (name, value) VALUES ('pool', '"v1"')`);
    expect(box.run(['stage', '1'], { DATABASE_URL: url }).code).toBe(0);
    expect(await sql(url, 'SELECT name, value FROM app_flags ORDER BY name')).toEqual([
      { name: 'pool', value: 'v2' },
      { name: 'read_jsonb', value: true },
    ]);
    expect(box.run(['rollback', '--yes'], { DATABASE_URL: url }).code).toBe(0);
    expect(await sql(url, 'SELECT name, value FROM app_flags ORDER BY name')).toEqual([{ name: 'pool', value: 'v1' }]);
  });
});

describe('interrupts', () => {
  it('SIGINT during a statement closes the connection: the server rolls it back, exit 130', async () => {
    const url = await freshDatabase();
    const { exited } = await import('../helpers/sandbox.js');
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: slow\n    irreversible: true\n    steps:\n      - sql: CREATE TABLE half_done (id int); SELECT pg_sleep(30);\n`,
        head,
      ),
    );
    const child = box.spawn(['stage', '1'], { DATABASE_URL: url });
    const running = async () =>
      (
        await sql<{ n: number }>(
          url,
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'migrate' AND query LIKE '%pg_sleep%'",
        )
      )[0]?.n ?? 0;
    const end = Date.now() + 15_000;
    while ((await running()) === 0) {
      if (Date.now() > end) throw new Error('the statement never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    const gone = Date.now() + 10_000;
    while ((await running()) > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(await running()).toBe(0);
    expect(await tables(url)).toEqual([]);
  });
});
