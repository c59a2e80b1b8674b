/**
 * Which database an sql step, check or store means: its `database`, else the
 * var `db`, else DATABASE_URL (SPEC 2.1). pg is imported only here, lazily.
 */
import { UsageError } from '../errors.js';
import { renderText } from '../runbook/template.js';
import type { Vars } from '../runbook/vars.js';
import type pg from 'pg';

export function databaseUrl(
  database: string | undefined,
  vars: Vars,
  env: Record<string, string | undefined> = process.env,
): string {
  if (database !== undefined) return renderText(database, (n) => vars.value(n));
  if (vars.has('db')) return vars.value('db');
  if (env.DATABASE_URL) return env.DATABASE_URL;
  throw new UsageError('no database: give the step a `database`, define a var `db`, or set DATABASE_URL');
}

export async function connect(url: string, applicationName = 'migrate'): Promise<pg.Client> {
  const { default: pgm } = await import('pg');
  const client = new pgm.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  // Without a listener, a connection dying while idle (a terminated session) is an unhandled 'error' that ends the process.
  // The next query on it fails with the error instead, where it is handled; the lock adds a listener that stops the run.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * Stop what a session is running and close it. Closing the socket alone is
 * not enough: the server notices a gone client only when it next writes, so a
 * long statement would go on holding its locks.
 */
export async function cancelAndClose(client: pg.Client, url: string): Promise<void> {
  const pid = (client as unknown as { processID?: number }).processID;
  if (pid) {
    try {
      const side = await connect(url, 'migrate cancel');
      await side.query('SELECT pg_cancel_backend($1)', [pid]).finally(() => side.end());
    } catch {
      /* the server may be gone too; closing below is all that is left */
    }
  }
  await client.end().catch(() => {});
}

/** Ask the server to notice a client that died (kill -9) within a second, and abort its statement (PostgreSQL 14+). */
export async function watchClient(client: pg.Client): Promise<void> {
  await client.query("SET client_connection_check_interval = '1s'").catch(() => {});
}
