/**
 * The PostgreSQL lock (SPEC 5): a session-level advisory lock per runbook on
 * a connection of its own that never opens a transaction, so it cannot
 * deadlock with CREATE INDEX CONCURRENTLY and PostgreSQL frees it when the
 * holder's session ends. The key is 64 bits of sha256 of the runbook name
 * (hashtext's 32 bits collide between real names). The holder's row in
 * migrate_lock_holders names its runbook, is stamped every half second
 * (proof that the holder still answers) and carries an emergency's request
 * to stop (or to end its canary hold: promote), which the holder reads with
 * the same stamp.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { LockHeldError } from '../errors.js';
import { assertRemovable, describeHolder, processAlive, processStarted, STOP_HINT } from './lockfile.js';
import { openSchema, reaching } from './postgres.js';
import type { Lock, LockInfo, StopRequest } from './types.js';

/** How often the holder stamps its row and looks for a request to stop. */
const POLL_MS = 500;
/** A holder whose stamp is older than this does not answer: it may be ended (unlock, an emergency). */
export const SILENT_MS = 10_000;

/** The advisory lock key: the first 8 bytes of sha256("migrate:" + name), as a signed bigint (a string for pg). */
export function lockKey(runbook: string): string {
  return createHash('sha256').update(`migrate:${runbook}`).digest().readBigInt64BE(0).toString();
}

/** pg_locks shows a bigint advisory key as two oids: high and low 32 bits. */
function keyParts(key: string): [number, number] {
  const k = BigInt.asUintN(64, BigInt(key));
  return [Number(k >> 32n), Number(k & 0xffffffffn)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls (100 ms apart) for the holder row of a lock just taken. */
const ROW_WAITS = 20;

export class PgLock implements Lock {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly key: string;

  constructor(
    private readonly url: string,
    private readonly runbook: string,
    private readonly onStop?: (r: StopRequest) => void,
  ) {
    this.key = lockKey(runbook);
  }

  /** The session holding our key, and its row: a row naming another runbook is a key collision, never acted on. */
  private async holderRow(db: pg.Client): Promise<LockInfo | null> {
    const [hi, lo] = keyParts(this.key);
    const r = await db.query(
      `SELECT l.pid, a.client_addr::text AS addr, a.backend_start, h.runbook, h.host, h.operator, h.since, h.run_id, h.process_pid, h.process_started,
              extract(epoch FROM now() - h.heartbeat) * 1000 AS silent_ms
         FROM pg_locks l
         JOIN pg_stat_activity a ON a.pid = l.pid
         LEFT JOIN migrate_lock_holders h ON h.pid = l.pid AND h.lock_key = $3
        WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1 AND l.granted
          -- Advisory locks are per database: the same runbook's journal in another database on this server is not ours.
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [hi, lo, this.key],
    );
    if (!r.rowCount) return null;
    const row = r.rows[0];
    // The process is what an operator can find and stop; the session is what unlock and an emergency end.
    const info: LockInfo = {
      pid: row.process_pid ?? row.pid,
      session: row.pid,
      host: row.host ?? row.addr ?? 'unknown',
      operator: row.operator ?? 'unknown',
      since: new Date(row.since ?? row.backend_start).toISOString(),
      run_id: row.run_id ?? undefined,
    };
    if (row.runbook && row.runbook !== this.runbook) {
      return {
        ...info,
        unverifiable: true,
        unreadable: `the lock key of '${this.runbook}' is held by a run of '${row.runbook}'`,
      };
    }
    // No row (an older migrate, or another program on our key): whether it answers cannot be told.
    if (row.silent_ms === null) return { ...info, unverifiable: true };
    // Silent is not gone when the process is still here (suspended with Ctrl-Z): its steps may be running.
    const here = row.process_pid !== null && row.host === hostname();
    const aliveHere =
      here &&
      processAlive(row.process_pid) &&
      (row.process_started === null || processStarted(row.process_pid) === Number(row.process_started));
    return { ...info, stale: Number(row.silent_ms) > SILENT_MS && !aliveHere };
  }

  async acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }> {
    // A connection of its own that never opens a transaction: the lock lives exactly as long as this session.
    const db = await openSchema(this.url, `migrate lock ${this.runbook}`);
    const got = (
      await reaching(this.url, () =>
        db.query('SELECT pg_try_advisory_lock($1::bigint) AS got, pg_backend_pid() AS pid', [this.key]),
      )
    ).rows[0];
    if (!got.got) {
      let holder = await this.holderRow(db);
      // The winner takes the lock, then writes its row: a run that lost the race in between waits for the row (up to 2 s).
      for (let i = 0; i < ROW_WAITS && holder?.unverifiable && !holder.unreadable; i++) {
        await sleep(100);
        holder = await this.holderRow(db);
      }
      await db.end();
      if (holder?.unreadable)
        throw new LockHeldError(holder.unreadable, 'two runbook names share a lock key: rename one of them');
      throw new LockHeldError(
        `another run holds the lock: ${holder ? describeHolder(holder) : 'a session that just let go; try again'}`,
        `wait for it to finish; ${STOP_HINT}`,
      );
    }
    await db.query(
      `INSERT INTO migrate_lock_holders (runbook, pid, host, operator, since, run_id, lock_key, heartbeat, stop_reason, stop_by, stop_at, process_pid, process_started)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), NULL, NULL, NULL, $8, $9)
       ON CONFLICT (runbook) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, operator = EXCLUDED.operator, since = EXCLUDED.since,
         run_id = EXCLUDED.run_id, lock_key = EXCLUDED.lock_key, heartbeat = now(), stop_reason = NULL, stop_by = NULL, stop_at = NULL, promote = NULL,
         process_pid = EXCLUDED.process_pid, process_started = EXCLUDED.process_started`,
      [
        this.runbook,
        got.pid,
        info.host,
        info.operator,
        info.since,
        info.run_id ?? null,
        this.key,
        info.pid,
        processStarted(info.pid) ?? null,
      ],
    );
    this.client = db;
    this.watch(db, info);
    // PostgreSQL frees a dead holder's lock itself: there is never a stale lock to take over.
    return { takenOver: null };
  }

  /** While held: stamp the row, pick up a request to stop, and stop the run when the session is lost. */
  private watch(db: pg.Client, info: LockInfo): void {
    let told = false;
    const tell = (r: StopRequest) => {
      if (told || this.client !== db) return;
      told = true;
      this.onStop?.(r);
    };
    const lost = (why: string) =>
      tell({
        run_id: info.run_id,
        operator: info.operator,
        reason: `lost the lock session (${why}): another run could take the lock, so this one stops`,
        at: new Date().toISOString(),
        lost: true,
      });
    db.on('error', (e) => lost(e.message));
    db.on('end', () => lost('the connection closed'));
    this.timer = setInterval(() => {
      db.query(
        'UPDATE migrate_lock_holders SET heartbeat = now() WHERE runbook = $1 AND pid = pg_backend_pid() RETURNING stop_reason, stop_by, stop_at, promote',
        [this.runbook],
      )
        .then((r) => {
          if (!r.rowCount) return lost('its row in migrate_lock_holders was replaced');
          const row = r.rows[0];
          if (row.stop_reason)
            tell({
              kind: 'abort',
              run_id: info.run_id,
              operator: row.stop_by,
              reason: row.stop_reason,
              at: new Date(row.stop_at).toISOString(),
            });
          // Seen again at every stamp until the next run clears it: the holder acts on it once, for the hold it names.
          else if (row.promote && this.client === db)
            this.onStop?.({ ...(row.promote as StopRequest), kind: 'promote', run_id: info.run_id });
        })
        .catch((e: Error) => lost(e.message));
    }, POLL_MS);
    this.timer.unref();
  }

  async release(): Promise<void> {
    if (!this.client) return;
    const db = this.client;
    this.client = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await db.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]).catch(() => {});
    await db.end().catch(() => {});
  }

  private async session<T>(name: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
    const db = await openSchema(this.url, name);
    try {
      return await reaching(this.url, () => fn(db));
    } finally {
      await db.end().catch(() => {});
    }
  }

  async holder(): Promise<LockInfo | null> {
    return this.session('migrate status', (db) => this.holderRow(db));
  }

  /**
   * `unlock`: a session holding the lock is alive as far as PostgreSQL knows.
   * Only one whose holder stopped answering (or, forced, one that cannot be
   * told) is ended, and only after checking it is still that same session.
   */
  async remove(h: LockInfo, opts: { force: boolean }): Promise<void> {
    assertRemovable(h, opts.force);
    if (h.unreadable) throw new LockHeldError(h.unreadable, 'unlock never ends a session of another runbook');
    await this.session('migrate unlock', async (db) => {
      const now = await this.holderRow(db);
      if (!now || now.session !== h.session) return;
      assertRemovable(now, opts.force);
      await db.query('SELECT pg_terminate_backend($1)', [now.session]);
    });
  }

  /** promote: leave the request in the holder's row; it sees it with its next stamp (half a second). */
  async request(h: LockInfo, request: StopRequest): Promise<void> {
    if (h.unreadable) throw new LockHeldError(h.unreadable, 'a promote never reaches a run of another runbook');
    await this.session('migrate promote', async (db) => {
      const r = await db.query('UPDATE migrate_lock_holders SET promote = $3 WHERE runbook = $1 AND pid = $2', [
        this.runbook,
        h.session,
        JSON.stringify(request),
      ]);
      if (!r.rowCount)
        throw new LockHeldError(
          `the run holding the lock has no row to leave a request in: ${describeHolder(h)}`,
          'it may be an older migrate; promote it where it runs',
        );
    });
  }

  /**
   * Emergency: ask the holder to stop (it looks every half second) and wait
   * for its lock to be free. A holder that stops answering is ended.
   */
  async preempt(h: LockInfo, request: StopRequest, waitMs: number): Promise<void> {
    if (h.unreadable) throw new LockHeldError(h.unreadable, 'an emergency never stops a run of another runbook');
    await this.session('migrate emergency', async (db) => {
      await db.query(
        'UPDATE migrate_lock_holders SET stop_reason = $3, stop_by = $4, stop_at = now() WHERE runbook = $1 AND pid = $2',
        [this.runbook, h.session, request.reason, request.operator],
      );
      const end = Date.now() + waitMs;
      let killed = false;
      for (;;) {
        const now = await this.holderRow(db);
        if (!now) return;
        if (now.stale) {
          await db.query('SELECT pg_terminate_backend($1)', [now.session]);
        } else if (Date.now() > end && !killed && now.host === hostname() && now.pid !== now.session) {
          // On this host and not answering (suspended, wedged): stopped like the file lock's holder; its session ends with it.
          killed = true;
          try {
            process.kill(now.pid, 'SIGKILL');
          } catch {
            /* gone meanwhile */
          }
        } else if (Date.now() > end + (killed ? 5000 : 0)) {
          throw new LockHeldError(
            `the run holding the lock did not stop within ${waitMs / 1000} s: ${describeHolder(now)}`,
            'it was asked to stop; try again, or stop it where it runs (Ctrl-C)',
          );
        }
        await sleep(50);
      }
    });
  }
}
