// runbooks/dataflow-drop-column.yaml end to end on a real PostgreSQL, and rehearse.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { freshDatabase, sql } from '../helpers/pg.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

async function seeded(): Promise<string> {
  const url = await freshDatabase();
  await sql(
    url,
    `CREATE TABLE dataflow_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), payload_text text NOT NULL)`,
  );
  await sql(
    url,
    `INSERT INTO dataflow_events (payload_text, created_at) SELECT json_build_object('kind', 'k' || (i % 7), 'n', i)::text, now() - interval '1 day' FROM generate_series(1, 12000) i`,
  );
  return url;
}

/** The shipped runbook, run with its drill environment so its windows last seconds, not hours. */
function dataflowBox() {
  return sandbox(readFileSync(join(ROOT, 'runbooks/dataflow-drop-column.yaml'), 'utf8'));
}

const columns = async (url: string) =>
  (
    await sql(
      url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'dataflow_events' ORDER BY ordinal_position",
    )
  ).map((r) => r.column_name);

describe('dataflow-drop-column on PostgreSQL', () => {
  it('expands, backfills in batches, switches and contracts; and rolls all of it back', async () => {
    const url = await seeded();
    const box = dataflowBox();
    const env = { DATABASE_URL: url };
    const up = box.run(
      ['up', '--env', 'drill', '--yes', '--confirm-stage', 'Contract', '--set', 'batch_size=1000'],
      env,
    );
    expect(up.code, up.stdout.slice(-2000) + up.stderr).toBe(0);
    expect(await columns(url)).toEqual(['id', 'created_at', 'payload']);
    expect(
      (await sql(url, "SELECT count(*)::int AS n FROM dataflow_events WHERE payload->>'kind' IS NULL"))[0]?.n,
    ).toBe(0);
    expect(await sql(url, 'SELECT name, value FROM dataflow_flags')).toEqual([
      { name: 'dataflow_read_jsonb_payload', value: true },
    ]);
    expect(box.status()).toMatchObject({ current_stage: 4, state: 'clean' });

    const back = box.run(['rollback', '--env', 'drill', '--to', '0', '--yes'], env);
    expect(back.code, back.stdout.slice(-2000) + back.stderr).toBe(0);
    expect(await columns(url)).toEqual(['id', 'created_at', 'payload_text']);
    expect(
      (await sql(url, "SELECT count(*)::int AS n FROM dataflow_events WHERE (payload_text::jsonb)->>'kind' IS NULL"))[0]
        ?.n,
    ).toBe(0);
    expect(await sql(url, 'SELECT * FROM dataflow_flags')).toEqual([]);
    expect(await sql(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'dataflow_events' ORDER BY 1")).toEqual([
      { indexname: 'dataflow_events_pkey' },
    ]);
  }, 180_000); // four stages with their drill windows (about 10 s of windows), on a shared machine

  it('plan names the live dependents of what a step drops or renames', async () => {
    const url = await seeded();
    await sql(url, 'CREATE VIEW recent_payloads AS SELECT id, payload_text FROM dataflow_events');
    const box = dataflowBox();
    const r = box.run(['plan', '4', '--json'], { DATABASE_URL: url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).dependents).toContainEqual(
      expect.objectContaining({
        step: 'drop-column',
        object: 'dataflow_events.payload_text',
        kind: 'view',
        name: 'public.recent_payloads',
      }),
    );
    expect(box.run(['plan', '4'], { DATABASE_URL: url }).stdout).toContain(
      'view public.recent_payloads depends on dataflow_events.payload_text',
    );
  });
});

describe('rehearse', () => {
  const stage = (undo: string) =>
    runbook(
      `  - id: 1\n    name: index\n    steps:\n      - sql: |\n          ALTER TABLE items ADD COLUMN sku text;\n          CREATE INDEX items_sku ON items (sku);\n        allow: [index-not-concurrent]\n        undo_sql: ${undo}\n`,
      'vars:\n  db: { env: DATABASE_URL, secret: true }\n',
    );

  it('catches an undo that forgets an index, and leaves the target untouched', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE items (id int PRIMARY KEY, name text)');
    const box = sandbox(stage('DROP INDEX items_sku;'));
    const r = box.run(['rehearse', '1'], { DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('column public.items.sku: new ("text")');
    expect(await columns2(url)).toEqual(['id', 'name']);
    expect(
      (await sql(url, "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'migrate_rehearse_%'"))[0]?.n,
    ).toBe(0);
  });

  it('passes a correct undo', async () => {
    const url = await freshDatabase();
    await sql(url, 'CREATE TABLE items (id int PRIMARY KEY, name text)');
    const box = sandbox(stage('DROP INDEX items_sku; ALTER TABLE items DROP COLUMN sku;'));
    const r = box.run(['rehearse', '1', '--json'], { DATABASE_URL: url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      differences: [],
      phases: [
        { phase: 'copy', ok: true },
        { phase: 'apply', ok: true },
        { phase: 'rollback', ok: true },
        { phase: 'reapply', ok: true },
      ],
    });
    expect(await columns2(url)).toEqual(['id', 'name']);
  });

  it('runs the steps in the order the engine does: a step without needs comes after the step declared before it', async () => {
    const url = await freshDatabase();
    // Engine order: create (needs: []), then add-column (needs create), then index (after add-column, declared before it).
    const box = sandbox(
      runbook(
        `  - id: 1
    name: ordered
    steps:
      - id: add-column
        needs: [create]
        sql: ALTER TABLE gadgets ADD COLUMN sku text
        undo_sql: ALTER TABLE gadgets DROP COLUMN sku
      - id: index
        sql: CREATE INDEX gadgets_sku ON gadgets (sku)
        allow: [index-not-concurrent]
        undo_sql: DROP INDEX gadgets_sku
      - id: create
        needs: []
        sql: CREATE TABLE gadgets (id int PRIMARY KEY)
        undo_sql: DROP TABLE gadgets
`,
        'vars:\n  db: { env: DATABASE_URL, secret: true }\n',
      ),
    );
    const r = box.run(['rehearse', '1', '--json'], { DATABASE_URL: url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, steps: ['create', 'add-column', 'index'] });
  });

  it('rehearses the shipped dataflow stages against a copy of a real schema', async () => {
    const url = await seeded();
    const box = dataflowBox();
    const r1 = box.run(['rehearse', '1'], { DATABASE_URL: url });
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(await columns(url)).toEqual(['id', 'created_at', 'payload_text']);
  });
});

const columns2 = async (url: string) =>
  (
    await sql(
      url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
    )
  ).map((r) => r.column_name);
void copyFileSync;
void writeFileSync;
