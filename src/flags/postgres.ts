/**
 * Flags in a PostgreSQL table (created on first use) that applications can
 * read: name text primary key, value jsonb, with who changed it and when.
 */
import type pg from 'pg';
import { UsageError } from '../errors.js';
import { connect, databaseUrl } from '../pg/connect.js';
import type { Vars } from '../runbook/vars.js';
import type { FlagState, FlagStore, FlagValue } from './store.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export class PostgresFlagStore implements FlagStore {
  private constructor(
    private readonly client: pg.Client,
    private readonly table: string,
  ) {}

  static async open(spec: { table?: string; database?: string }, vars: Vars): Promise<PostgresFlagStore> {
    const table = spec.table ?? 'migrate_flags';
    // The table name is an identifier, not a value: it cannot be a bound parameter, so it must be plain.
    if (!IDENT.test(table))
      throw new UsageError(
        `flag table '${table}' must be a plain identifier (letters, digits, _; optionally schema.table)`,
      );
    const url = databaseUrl(spec.database, vars);
    const client = await connect(url, 'migrate flags');
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      name text PRIMARY KEY,
      value jsonb,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text
    )`);
    return new PostgresFlagStore(client, table);
  }

  get describe(): string {
    return `postgres table ${this.table}`;
  }

  async get(name: string): Promise<FlagState> {
    const r = await this.client.query(`SELECT value FROM ${this.table} WHERE name = $1`, [name]);
    return r.rowCount ? { exists: true, value: r.rows[0].value as FlagValue } : { exists: false };
  }

  async set(name: string, value: FlagValue): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.table} (name, value, updated_at, updated_by) VALUES ($1, $2::jsonb, now(), current_user)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = current_user`,
      [name, JSON.stringify(value)],
    );
  }

  async remove(name: string): Promise<void> {
    await this.client.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
  }

  async list(): Promise<Record<string, FlagValue>> {
    const r = await this.client.query(`SELECT name, value FROM ${this.table} ORDER BY name`);
    return Object.fromEntries(r.rows.map((row) => [row.name, row.value]));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
