/**
 * The PostgreSQL journal (SPEC 5): the same events in a table created on
 * first use (the lock is in pglock.ts). Operators on several machines share
 * one history and one lock.
 */
import type pg from 'pg';
import { EnvironmentError, MigrateError, UsageError } from '../errors.js';
import { connect } from '../pg/connect.js';
import { apply, emptyProjection, type Projection } from './project.js';
import type { EventName, JournalEvent, NewEvent } from './events.js';
import type { Journal } from './journal.js';

export const SCHEMA_VERSION = 1;
/** The advisory lock (class, key) serializing schema creation: ours, so other users of advisory locks do not collide. */
const LOCK_CLASS = 0x6d67; // "mg"

const SCHEMA = `
CREATE TABLE IF NOT EXISTS migrate_schema (version int NOT NULL);
CREATE TABLE IF NOT EXISTS migrate_journal (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL,
  runbook text NOT NULL,
  run_id text NOT NULL,
  event text NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS migrate_journal_runbook ON migrate_journal (runbook, id);
CREATE TABLE IF NOT EXISTS migrate_snapshots (runbook text PRIMARY KEY, last_id bigint NOT NULL, projection jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS migrate_lock_holders (runbook text PRIMARY KEY, pid int NOT NULL, host text NOT NULL, operator text NOT NULL, since timestamptz NOT NULL, run_id text);
ALTER TABLE migrate_lock_holders ADD COLUMN IF NOT EXISTS lock_key bigint, ADD COLUMN IF NOT EXISTS heartbeat timestamptz,
  ADD COLUMN IF NOT EXISTS stop_reason text, ADD COLUMN IF NOT EXISTS stop_by text, ADD COLUMN IF NOT EXISTS stop_at timestamptz;
ALTER TABLE migrate_lock_holders ADD COLUMN IF NOT EXISTS promote jsonb;
ALTER TABLE migrate_lock_holders ADD COLUMN IF NOT EXISTS process_pid int, ADD COLUMN IF NOT EXISTS process_started bigint;
`;

/** Socket-level failures (no SQLSTATE) that mean the server is not there. */
const GONE = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH)$/;

/**
 * A journal database that cannot be reached (refused, gone mid-run, shut
 * down, wrong password or database) or used (no rights, a read-only replica,
 * a full disk) is the environment's problem: one line,
 * exit 6, the password hidden. Anything else is returned unchanged.
 */
export function unreachable(e: unknown, url: string): unknown {
  if (e instanceof MigrateError || !(e instanceof Error)) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const lost =
    GONE.test(code) ||
    /^(08|57P0[123]|28|3D000)/.test(code) ||
    (!code && /Connection terminated|not queryable|timeout expired|connection timeout/i.test(e.message));
  // Reached, but refused: no rights, a read-only replica, a full disk, too many connections.
  const refused = /^(42501|25006|53|55P03)/.test(code);
  if (!lost && !refused) return e;
  const where = url.replace(/\/\/[^@/]*@/, '//***@').replace(/\?.*$/, '');
  const err = new EnvironmentError(
    `the journal database ${where} cannot be ${lost ? 'reached' : 'used'}: ${e.message}`,
    "when it is back, 'migrate status' shows where things stand (a step that was running is in doubt); then 'migrate rollback' or 'migrate stage N --resume'",
  );
  err.cause = e;
  return err;
}

/** Run against the journal database; a lost connection becomes an EnvironmentError. */
export async function reaching<T>(url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw unreachable(e, url);
  }
}

/** Refuse a transaction-pooling proxy: the advisory lock would be released (or leak) between statements. */
export async function assertSessionConnection(client: pg.Client, url: string): Promise<void> {
  const u = new URL(url);
  const pooled = u.port === '6432' || /pgbouncer|pooler/i.test(u.hostname);
  const a = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const b = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  if (a !== b || (pooled && u.searchParams.get('migrate_session') !== '1')) {
    throw new UsageError(
      `the journal URL ${u.hostname}:${u.port || 5432} looks like a transaction-pooling proxy${a !== b ? ' (the server session changed between two statements)' : ''}`,
      'session-level advisory locks need a direct connection (or a session-pooling one): point --journal at PostgreSQL itself; if this is session pooling, add ?migrate_session=1 to the URL',
    );
  }
}

export function openSchema(url: string, name: string): Promise<pg.Client> {
  return reaching(url, () => openSchemaOnce(url, name));
}

/**
 * Whether every table, index and column of SCHEMA exists, read from the
 * catalog without locking anything: its DDL (ALTER TABLE takes ACCESS
 * EXCLUSIVE) would queue behind any open transaction that read a table, and
 * every query of the tables, the holder's stamps included, behind it.
 */
const CURRENT = `
SELECT to_regclass('migrate_schema') IS NOT NULL AND to_regclass('migrate_journal_runbook') IS NOT NULL
   AND to_regclass('migrate_snapshots') IS NOT NULL
   AND (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('migrate_lock_holders') AND NOT attisdropped
         AND attname IN ('lock_key', 'heartbeat', 'stop_reason', 'stop_by', 'stop_at', 'promote', 'process_pid', 'process_started')) = 8 AS current`;

async function openSchemaOnce(url: string, name: string): Promise<pg.Client> {
  const client = await connect(url.replace(/([?&])migrate_session=1&?/, '$1').replace(/[?&]$/, ''), name);
  await assertSessionConnection(client, url);
  let version: number | null;
  if ((await client.query(CURRENT)).rows[0].current) {
    version = (await client.query('SELECT max(version) AS v FROM migrate_schema')).rows[0].v;
  } else {
    await client.query('BEGIN');
    // Creating or upgrading the tables waits for their readers a bounded time, then says so (exit 6).
    await client.query("SET LOCAL lock_timeout = '10s'");
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_CLASS]);
    await client.query(SCHEMA);
    version = (await client.query('SELECT max(version) AS v FROM migrate_schema')).rows[0].v;
    if (version === null) await client.query('INSERT INTO migrate_schema VALUES ($1)', [SCHEMA_VERSION]);
    await client.query('COMMIT');
  }
  if (version !== null && version > SCHEMA_VERSION) {
    await client.end();
    throw new MigrateError(
      `the journal's schema is version ${version}, newer than this migrate understands (${SCHEMA_VERSION})`,
      'upgrade migrate',
    );
  }
  return client;
}

export class PgJournal implements Journal {
  private client: Promise<pg.Client> | null = null;
  /** The runbooks this process wrote: what checkpoint snapshots. */
  private runbooks = new Set<string>();
  constructor(private readonly url: string) {}

  private db(): Promise<pg.Client> {
    return (this.client ??= openSchema(this.url, 'migrate journal'));
  }

  async append<E extends EventName>(event: NewEvent<E>): Promise<void> {
    const e = { ts: new Date().toISOString(), ...event };
    this.runbooks.add(e.runbook);
    // A committed INSERT is durable (synchronous_commit) before the action proceeds.
    await reaching(this.url, async () =>
      (await this.db()).query(
        'INSERT INTO migrate_journal (ts, runbook, run_id, event, body) VALUES ($1, $2, $3, $4, $5)',
        [e.ts, e.runbook, e.run_id, e.event, JSON.stringify(e)],
      ),
    );
  }

  private replay(runbook: string): Promise<{ projection: Projection; lastId: number }> {
    return reaching(this.url, () => this.replayOnce(runbook));
  }

  private async replayOnce(runbook: string): Promise<{ projection: Projection; lastId: number }> {
    const db = await this.db();
    const snap = await db.query('SELECT last_id, projection FROM migrate_snapshots WHERE runbook = $1', [runbook]);
    let projection: Projection = snap.rowCount ? snap.rows[0].projection : emptyProjection(runbook);
    let lastId = snap.rowCount ? Number(snap.rows[0].last_id) : 0;
    const tail = await db.query('SELECT id, body FROM migrate_journal WHERE runbook = $1 AND id > $2 ORDER BY id', [
      runbook,
      lastId,
    ]);
    for (const row of tail.rows) {
      projection = apply(projection, row.body as JournalEvent);
      lastId = Number(row.id);
    }
    return { projection, lastId };
  }

  async project(runbook: string): Promise<Projection> {
    return (await this.replay(runbook)).projection;
  }

  async checkpoint(): Promise<void> {
    const db = await this.db();
    for (const runbook of this.runbooks) {
      const { projection, lastId } = await this.replay(runbook);
      await db.query(
        `INSERT INTO migrate_snapshots (runbook, last_id, projection) VALUES ($1, $2, $3)
         ON CONFLICT (runbook) DO UPDATE SET last_id = EXCLUDED.last_id, projection = EXCLUDED.projection WHERE migrate_snapshots.last_id < EXCLUDED.last_id`,
        [runbook, lastId, JSON.stringify(projection)],
      );
    }
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).end().catch(() => {});
    this.client = null;
  }
}
