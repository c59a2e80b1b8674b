/**
 * The PostgreSQL journal (SPEC 5): the same events in a table created on
 * first use, and one lock per runbook as a session-level advisory lock held
 * on a dedicated connection that never opens a transaction, so it cannot
 * deadlock with CREATE INDEX CONCURRENTLY and PostgreSQL frees it when the
 * holder dies. Operators on several machines share one history and one lock.
 */
import type pg from 'pg';
import { LockHeldError, MigrateError, UsageError } from '../errors.js';
import { connect } from '../pg/connect.js';
import { apply, emptyProjection, type Projection } from './project.js';
import { assertRemovable } from './lockfile.js';
import type { Journal, JournalEvent, Lock, LockInfo, NewEvent } from './types.js';

export const SCHEMA_VERSION = 1;
/** The advisory lock class: ours, so other users of advisory locks do not collide. */
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
`;

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

async function openSchema(url: string, name: string): Promise<pg.Client> {
  const client = await connect(url.replace(/([?&])migrate_session=1&?/, '$1').replace(/[?&]$/, ''), name);
  await assertSessionConnection(client, url);
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_CLASS]);
  await client.query(SCHEMA);
  const v = await client.query('SELECT max(version) AS v FROM migrate_schema');
  const version = v.rows[0].v as number | null;
  if (version === null) await client.query('INSERT INTO migrate_schema VALUES ($1)', [SCHEMA_VERSION]);
  await client.query('COMMIT');
  if (version !== null && version > SCHEMA_VERSION) {
    await client.end();
    throw new MigrateError(`the journal's schema is version ${version}, newer than this migrate understands (${SCHEMA_VERSION})`, 'upgrade migrate');
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

  async append(event: NewEvent): Promise<void> {
    const e = { ts: new Date().toISOString(), ...event } as JournalEvent;
    this.runbooks.add(e.runbook);
    // A committed INSERT is durable (synchronous_commit) before the action proceeds.
    await (await this.db()).query('INSERT INTO migrate_journal (ts, runbook, run_id, event, body) VALUES ($1, $2, $3, $4, $5)', [e.ts, e.runbook, e.run_id, e.event, JSON.stringify(e)]);
  }

  private async replay(runbook: string): Promise<{ projection: Projection; lastId: number }> {
    const db = await this.db();
    const snap = await db.query('SELECT last_id, projection FROM migrate_snapshots WHERE runbook = $1', [runbook]);
    let projection: Projection = snap.rowCount ? snap.rows[0].projection : emptyProjection(runbook);
    let lastId = snap.rowCount ? Number(snap.rows[0].last_id) : 0;
    const tail = await db.query('SELECT id, body FROM migrate_journal WHERE runbook = $1 AND id > $2 ORDER BY id', [runbook, lastId]);
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

export class PgLock implements Lock {
  private client: pg.Client | null = null;
  constructor(private readonly url: string, private readonly runbook: string) {}

  private async holderRow(db: pg.Client): Promise<LockInfo | null> {
    const r = await db.query(
      `SELECT l.pid, a.client_addr::text AS addr, a.backend_start, h.host, h.operator, h.since, h.run_id
         FROM pg_locks l
         JOIN pg_stat_activity a ON a.pid = l.pid
         LEFT JOIN migrate_lock_holders h ON h.runbook = $2 AND h.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = hashtext($2)::oid AND l.granted`,
      [LOCK_CLASS, this.runbook],
    );
    if (!r.rowCount) return null;
    const row = r.rows[0];
    return { pid: row.pid, host: row.host ?? row.addr ?? 'unknown', operator: row.operator ?? 'unknown', since: new Date(row.since ?? row.backend_start).toISOString(), run_id: row.run_id ?? undefined };
  }

  async acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }> {
    // A connection of its own that never opens a transaction: the lock lives exactly as long as this session.
    const db = await openSchema(this.url, `migrate lock ${this.runbook}`);
    const got = (await db.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got, pg_backend_pid() AS pid', [LOCK_CLASS, this.runbook])).rows[0];
    if (!got.got) {
      const holder = await this.holderRow(db);
      await db.end();
      throw new LockHeldError(`another run holds the lock: ${holder ? `${holder.operator} (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'a session that just let go; try again'}`, 'wait for it to finish; the lock is freed when its session ends');
    }
    await db.query(
      `INSERT INTO migrate_lock_holders (runbook, pid, host, operator, since, run_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (runbook) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, operator = EXCLUDED.operator, since = EXCLUDED.since, run_id = EXCLUDED.run_id`,
      [this.runbook, got.pid, info.host, info.operator, info.since, info.run_id ?? null],
    );
    this.client = db;
    // PostgreSQL frees a dead holder's lock itself: there is never a stale lock to take over.
    return { takenOver: null };
  }

  async release(): Promise<void> {
    if (!this.client) return;
    const db = this.client;
    this.client = null;
    await db.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, this.runbook]).catch(() => {});
    await db.end().catch(() => {});
  }

  async holder(): Promise<LockInfo | null> {
    const db = await openSchema(this.url, 'migrate status');
    try {
      return await this.holderRow(db);
    } finally {
      await db.end();
    }
  }

  /** A session holding the advisory lock is alive (PostgreSQL frees a dead session's lock): `unlock` never ends it. */
  async remove(h: LockInfo, opts: { force: boolean }): Promise<void> {
    assertRemovable(h, opts.force);
  }
}
