// A column DEFAULT calling a user function: with the database reachable its
// declared volatility (pg_proc.provolatile) decides, offline any call we do
// not know to be stable counts as volatile. Against a real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { freshDatabase, sql } from '../helpers/pg.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

const head = 'vars:\n  db: { env: DATABASE_URL, secret: true }\n';
const addColumn = (fn: string, i: number) =>
  `      - id: add-${i}\n        sql: ALTER TABLE items ADD COLUMN c${i} text DEFAULT ${fn}()\n        undo_sql: ALTER TABLE items DROP COLUMN c${i}\n`;
const stage = (fns: string[]) =>
  runbook(`  - id: 1\n    name: columns\n    steps:\n${fns.map(addColumn).join('')}`, head);

/** One function of each volatility, in a schema of their own and in public. */
async function database(): Promise<string> {
  const url = await freshDatabase();
  await sql(
    url,
    `
    CREATE TABLE items (id int);
    CREATE FUNCTION imm_tag() RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT 'i' $$;
    CREATE FUNCTION stab_tag() RETURNS text STABLE LANGUAGE sql AS $$ SELECT current_user::text $$;
    CREATE FUNCTION vol_tag() RETURNS text VOLATILE LANGUAGE sql AS $$ SELECT random()::text $$;
    CREATE SCHEMA app;
    CREATE FUNCTION app.imm_tag() RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT 'i' $$;
    CREATE FUNCTION app.vol_tag() RETURNS text VOLATILE LANGUAGE sql AS $$ SELECT random()::text $$;`,
  );
  return url;
}

const flagged = (out: string) =>
  [...out.matchAll(/sql-volatile-default: adds a column with the volatile default ([\w.]+)\(/g)].map((m) => m[1]);
const ALL = ['imm_tag', 'stab_tag', 'vol_tag', 'app.imm_tag', 'app.vol_tag', 'gen_random_uuid'];
const UNREACHABLE = 'postgres://nobody:x@127.0.0.1:9/none';

describe('volatile defaults and the database', () => {
  it('offline, every function not known to be stable counts as volatile', () => {
    const box = sandbox(stage(ALL));
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(flagged(r.stdout)).toEqual([
      'imm_tag',
      'stab_tag',
      'vol_tag',
      'app.imm_tag',
      'app.vol_tag',
      'gen_random_uuid',
    ]);
  });

  it('validate --database asks pg_proc: IMMUTABLE and STABLE pass, VOLATILE is flagged', async () => {
    const url = await database();
    const box = sandbox(stage(ALL));
    const r = box.run(['validate', 'migrate.yaml', '--database', url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(flagged(r.stdout)).toEqual(['vol_tag', 'app.vol_tag', 'gen_random_uuid']);
    expect(r.stdout).toMatch(
      /migrate\.yaml:\d+:\d+ warning sql-volatile-default: adds a column with the volatile default vol_tag/,
    );
  });

  it('offline, a function the runbook creates is judged by the volatility it declares there', () => {
    const create = (name: string, volatility: string) =>
      `CREATE FUNCTION ${name}() RETURNS text ${volatility} LANGUAGE sql AS $$ SELECT 'x' $$`;
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: functions\n    steps:\n      - sql: |\n          ${create('app_imm', 'IMMUTABLE')};\n          ${create('app_any', '')};\n  - id: 2\n    name: columns\n    steps:\n${['app_imm', 'app_any'].map(addColumn).join('')}`,
        head,
      ),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(flagged(r.stdout)).toEqual(['app_any']);
  });

  it('validate --database on an unreachable database says so and keeps the offline rule', () => {
    const box = sandbox(stage(['imm_tag']));
    const r = box.run(['validate', 'migrate.yaml', '--database', UNREACHABLE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('volatile defaults judged without the database');
    expect(r.stderr).not.toContain('nobody:x');
    expect(flagged(r.stdout)).toEqual(['imm_tag']);
  });

  it("plan reads the volatility from the step's database: the stage's risk and its warnings follow it", async () => {
    const url = await database();
    const box = sandbox(stage(['imm_tag', 'stab_tag']));
    const live = JSON.parse(box.run(['plan', '1', '--json'], { DATABASE_URL: url }).stdout);
    expect(live.risk).toMatchObject({ effective: 'low', reasons: [] });
    const text = box.run(['plan', '1'], { DATABASE_URL: url });
    expect(flagged(text.stdout + text.stderr)).toEqual([]);
    const offline = JSON.parse(box.run(['plan', '1', '--json'], { DATABASE_URL: UNREACHABLE }).stdout);
    expect(offline.risk).toMatchObject({ effective: 'high', reasons: ['sql-volatile-default (high)'] });
  });

  it.each([
    [['imm_tag', 'stab_tag'], 'low'],
    [['stab_tag', 'vol_tag'], 'high'],
  ])('a stage run asks the database before its steps run: defaults %j make the risk %s', async (fns, risk) => {
    const url = await database();
    const box = sandbox(stage(fns));
    const r = box.run(['stage', '1', '--yes'], { DATABASE_URL: url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`stage 1: columns (risk ${risk})`);
  });
});
