/**
 * Running an sql step (SPEC 5): one transaction by default, with SET LOCAL
 * lock_timeout (default 1s) and statement_timeout; each statement sent alone
 * with its `${var}` values as bound parameters. A statement that fails on the
 * lock timeout is retried with exponential backoff and jitter, because waiting
 * on a lock blocks every query queued behind it.
 */
import type pg from 'pg';
import { parseDuration } from '../runbook/duration.js';
import { renderSql } from '../runbook/template.js';
import type { Action } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import { cancelAndClose, connect, databaseUrl, watchClient } from './connect.js';
import { parseSql, relationsOf, SqlSyntaxError, type Statement } from './parse.js';

export interface SqlResult { ok: boolean; message: string; attempts: number }

const LOCK_NOT_AVAILABLE = '55P03';
export const LOCK_ATTEMPTS = 5;

function describeError(e: pg.DatabaseError, st: Statement, index: number, total: number): string {
  const where = total > 1 ? `statement ${index + 1} of ${total}` : 'the statement';
  const pos = e.position ? Number(e.position) - 1 : null;
  const before = pos !== null ? st.text.slice(0, pos) : '';
  const line = pos !== null ? before.split('\n').length : null;
  const col = pos !== null ? pos - before.lastIndexOf('\n') : null;
  return [
    `${e.message} (SQLSTATE ${e.code}) in ${where}${line !== null ? `, line ${line} column ${col}` : ''}:`,
    `  ${st.text.split('\n').join('\n  ')}`,
    ...(e.detail ? [`detail: ${e.detail}`] : []),
    ...(e.hint ? [`hint: ${e.hint}`] : []),
  ].join('\n');
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(r, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
});

export async function runSql(a: Action, vars: Vars, opts: { signal?: AbortSignal; onLine?: (l: string) => void; attempts?: number; baseDelayMs?: number } = {}): Promise<SqlResult> {
  let statements: Statement[];
  try {
    statements = await parseSql(a.sql!);
  } catch (e) {
    if (e instanceof SqlSyntaxError) return { ok: false, message: `SQL does not parse: ${e.message}`, attempts: 0 };
    throw e;
  }
  const lockMs = parseDuration(a.lock_timeout ?? '1s')!;
  const stmtMs = a.statement_timeout ? parseDuration(a.statement_timeout)! : null;
  const transactional = a.transaction !== false;
  const attempts = opts.attempts ?? LOCK_ATTEMPTS;
  const url = databaseUrl(a.database, vars);
  const client = await connect(url, 'migrate');
  await watchClient(client);
  // An interrupt cancels the running statement and closes the session: the server rolls the transaction back.
  const onAbort = () => { void cancelAndClose(client, url); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let attempt = 1; ; attempt++) {
      const r = await runOnce(client, statements, vars, { transactional, lockMs, stmtMs });
      if (r.ok || r.code !== LOCK_NOT_AVAILABLE || attempt >= attempts || opts.signal?.aborted) {
        return { ok: r.ok, message: r.ok ? `${statements.length} statement(s) ${transactional ? 'committed' : 'done'}` : r.message, attempts: attempt };
      }
      // Exponential backoff with full jitter, so several waiting runs do not retry in step.
      const delay = Math.random() * (opts.baseDelayMs ?? 200) * 2 ** (attempt - 1);
      opts.onLine?.(`lock not available (attempt ${attempt} of ${attempts}); retrying in ${Math.round(delay)}ms`);
      await sleep(delay, opts.signal);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

async function runOnce(client: pg.Client, statements: Statement[], vars: Vars, o: { transactional: boolean; lockMs: number; stmtMs: number | null }): Promise<{ ok: true } | { ok: false; code?: string; message: string }> {
  const scope = o.transactional ? 'LOCAL ' : '';
  let i = 0;
  try {
    if (o.transactional) await client.query('BEGIN');
    // Timeouts are settings, not values: numbers we computed, never runbook text.
    await client.query(`SET ${scope}lock_timeout = ${Math.round(o.lockMs)}`);
    if (o.stmtMs !== null) await client.query(`SET ${scope}statement_timeout = ${Math.round(o.stmtMs)}`);
    for (; i < statements.length; i++) {
      const { text, values } = renderSql(statements[i].text, (n) => vars.value(n));
      await client.query(text, values);
    }
    if (o.transactional) await client.query('COMMIT');
    return { ok: true };
  } catch (e) {
    if (o.transactional) await client.query('ROLLBACK').catch(() => {});
    const err = e as pg.DatabaseError;
    if (!err.code) return { ok: false, message: vars.mask(`database connection failed: ${err.message}`) };
    const st = statements[Math.min(i, statements.length - 1)];
    let message = describeError(err, st, i, statements.length);
    if (err.code === LOCK_NOT_AVAILABLE) {
      const rel = [...relationsOf(st.node)];
      message = `a lock blocked it${rel.length ? ` on ${rel.join(', ')}` : ''}: another session holds a conflicting lock longer than lock_timeout ${o.lockMs}ms\n${message}`;
    }
    return { ok: false, code: err.code, message: vars.mask(message) };
  }
}
