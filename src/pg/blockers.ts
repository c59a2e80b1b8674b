/**
 * Who held the lock a statement timed out on. Once the statement has failed it
 * no longer waits, so pg_blocking_pids() of it is empty: a side session asks
 * while a retry waits, and right after a failure it asks who holds locks on the
 * relations the statement names. Opened only after a first lock timeout, so a
 * step that gets its locks costs no extra connection.
 */
import type pg from 'pg';
import { connect } from './connect.js';

export interface Blocker {
  pid: number;
  application_name: string;
  state: string | null;
  query_start: Date | null;
}

const COLUMNS = 'a.pid, a.application_name, a.state, a.query_start';

export function describeBlockers(bs: Blocker[]): string {
  return bs
    .map(
      (b) =>
        `blocked by pid ${b.pid} (application_name '${b.application_name}', state '${b.state ?? 'unknown'}'` +
        `${b.query_start ? `, query started ${b.query_start.toISOString()}` : ''})`,
    )
    .join('; ');
}

export class BlockerWatch {
  private side: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  /** The most recent non-empty answer. */
  last: Blocker[] = [];

  constructor(
    private readonly url: string,
    private readonly pid: number,
    private readonly everyMs: number,
  ) {}

  private async client(): Promise<pg.Client | null> {
    if (!this.side) this.side = await connect(this.url, 'migrate lock watch').catch(() => null);
    return this.side;
  }

  private remember(rows: Blocker[]) {
    if (rows.length) this.last = rows;
  }

  /** Sample pg_blocking_pids of the running statement while an attempt waits (after a first lock failure). */
  watch(): void {
    if (!this.side) return;
    this.timer = setInterval(() => {
      if (this.busy || !this.side) return;
      this.busy = true;
      this.side
        .query(`SELECT ${COLUMNS} FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1))`, [this.pid])
        .then(
          (r) => this.remember(r.rows),
          () => {},
        )
        .finally(() => {
          this.busy = false;
        });
    }, this.everyMs);
  }

  stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** After a lock failure: sessions holding granted locks on the relations named (the usual blocker). */
  async afterFailure(relations: string[]): Promise<void> {
    const c = await this.client();
    if (!c || !relations.length) return;
    const r = await c
      .query(
        `SELECT DISTINCT ${COLUMNS} FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE l.granted AND l.relation = ANY(SELECT to_regclass(n)::oid FROM unnest($1::text[]) n)
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND a.pid <> $2 AND a.pid <> pg_backend_pid() ORDER BY a.pid`,
        [relations, this.pid],
      )
      .catch(() => null);
    if (r) this.remember(r.rows);
  }

  async close(): Promise<void> {
    this.stopWatching();
    await this.side?.end().catch(() => {});
  }
}
