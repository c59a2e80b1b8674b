/** An sql check's probe: `value` is the first column of the first row, `rows` the row count. */
import { renderSql } from '../runbook/template.js';
import type { Vars } from '../runbook/vars.js';
import { cancelAndClose, connect, databaseUrl, watchClient } from './connect.js';

export async function querySql(
  sql: string,
  database: string | undefined,
  vars: Vars,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ value: unknown; rows: number }> {
  const url = databaseUrl(database, vars);
  const client = await connect(url, 'migrate check');
  await watchClient(client);
  const onAbort = () => {
    void cancelAndClose(client, url);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // A check only reads: a read-only transaction makes sure of it.
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
    const { text, values } = renderSql(sql, (n) => vars.value(n));
    const r = await client.query({ text, values, rowMode: 'array' });
    await client.query('COMMIT');
    const first = r.rows[0]?.[0];
    // numeric and bigint arrive as strings: compare them as numbers.
    const value =
      typeof first === 'string' && first.trim() !== '' && !Number.isNaN(Number(first)) ? Number(first) : first;
    return { value: value ?? null, rows: r.rowCount ?? r.rows.length };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}
