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
import { BlockerWatch, describeBlockers } from './blockers.js';
import { concurrentIndexTargets, dropLeftovers, invalidIndexes, ours } from './concurrent-index.js';
import { kindOf, parseSql, relationsOf, type Statement } from './parse.js';
import { SqlSyntaxError } from '../errors.js';

export interface SqlResult {
  ok: boolean;
  message: string;
  attempts: number;
}

const LOCK_NOT_AVAILABLE = '55P03';
export const LOCK_ATTEMPTS = 5;

const details = (e: pg.DatabaseError) => [
  ...(e.detail ? [`detail: ${e.detail}`] : []),
  ...(e.hint ? [`hint: ${e.hint}`] : []),
];

/**
 * An error raised by what migrate sends around the statements: BEGIN, the
 * timeouts, or COMMIT (a deferred constraint, a serialization failure). No
 * statement is to blame, so the step is named, and what became of its work.
 */
function describePhaseError(e: pg.DatabaseError, phase: Phase, total: number, where: string | undefined): string {
  const step = `the step${where ? ` at ${where}` : ''}`;
  const fate =
    phase === 'COMMIT'
      ? `after its ${total} statement${total === 1 ? '' : 's'} ran: the transaction was rolled back, none of them took effect`
      : 'before any of its statements ran';
  return [`${e.message} (SQLSTATE ${e.code}) at ${phase} of ${step}, ${fate}`, ...details(e)].join('\n');
}

function describeError(e: pg.DatabaseError, st: Statement, index: number, total: number): string {
  const where = total > 1 ? `statement ${index + 1} of ${total}` : 'the statement';
  const pos = e.position ? Number(e.position) - 1 : null;
  const before = pos !== null ? st.text.slice(0, pos) : '';
  const line = pos !== null ? before.split('\n').length : null;
  const col = pos !== null ? pos - before.lastIndexOf('\n') : null;
  return [
    `${e.message} (SQLSTATE ${e.code}) in ${where}${line !== null ? `, line ${line} column ${col}` : ''}:`,
    `  ${st.text.split('\n').join('\n  ')}`,
    ...details(e),
  ].join('\n');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        r();
      },
      { once: true },
    );
  });

export interface SqlOptions {
  signal?: AbortSignal;
  onLine?: (l: string) => void;
  attempts?: number;
  baseDelayMs?: number;
  /** Where the step is in the runbook (file:line:col), for errors no single statement caused. */
  where?: string;
}

export async function runSql(a: Action, vars: Vars, opts: SqlOptions = {}): Promise<SqlResult> {
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
  const onAbort = () => {
    void cancelAndClose(client, url);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const pid = (client as unknown as { processID: number }).processID;
  const blockers = new BlockerWatch(url, pid, Math.max(20, Math.min(200, lockMs / 3)));
  const indexes = transactional ? null : concurrentIndexTargets(statements);
  const done = (ok: boolean, message: string, attempt: number): SqlResult => ({
    ok,
    message: vars.mask(message),
    attempts: attempt,
  });
  try {
    const invalidBefore = indexes ? await invalidIndexes(client, indexes) : [];
    for (let attempt = 1; ; attempt++) {
      blockers.watch();
      const r = await runOnce(client, statements, vars, { transactional, lockMs, stmtMs, where: opts.where });
      blockers.stopWatching();
      if (r.ok && indexes) {
        const invalid = ours(await invalidIndexes(client, indexes), invalidBefore, indexes);
        if (invalid.length) return done(false, invalidIndexMessage(invalid.map((i) => i.name)), attempt);
      }
      if (r.ok) return done(true, `${statements.length} statement(s) ${transactional ? 'committed' : 'done'}`, attempt);
      if (r.code !== LOCK_NOT_AVAILABLE) return done(false, r.message, attempt);
      await blockers.afterFailure(r.relations);
      const who = blockers.last.length ? `${describeBlockers(blockers.last)}\n` : '';
      if (attempt >= attempts || opts.signal?.aborted) return done(false, `${who}${r.message}`, attempt);
      // Exponential backoff with full jitter, so several waiting runs do not retry in step.
      const delay = Math.random() * (opts.baseDelayMs ?? 200) * 2 ** (attempt - 1);
      const by = blockers.last.length ? `, ${describeBlockers(blockers.last)}` : '';
      opts.onLine?.(
        vars.mask(`lock not available (attempt ${attempt} of ${attempts}${by}); retrying in ${Math.round(delay)}ms`),
      );
      await sleep(delay, opts.signal);
      if (indexes) {
        const dropped = await dropLeftovers(client, indexes, invalidBefore).catch((e: Error) => {
          opts.onLine?.(`could not drop the INVALID index left behind yet: ${e.message}`);
          return [];
        });
        if (dropped.length) opts.onLine?.(`dropped the INVALID index the failed attempt left: ${dropped.join(', ')}`);
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await blockers.close();
    await client.end().catch(() => {});
  }
}

function invalidIndexMessage(names: string[]): string {
  return (
    `index ${names.join(', ')} is INVALID after the step (a CONCURRENTLY build that failed, now or in an earlier run): ` +
    `queries do not use it. DROP INDEX CONCURRENTLY ${names[0]}; then run the step again`
  );
}

type Outcome = { ok: true } | { ok: false; code?: string; message: string; relations: string[] };

/** A statement that ended or opened a transaction where the step promised otherwise. */
class TransactionBroken extends Error {}

const TX_END: Record<string, string> = {
  TRANS_STMT_COMMIT: 'COMMITTED: this step cannot roll them back',
  TRANS_STMT_ROLLBACK: 'rolled back',
  TRANS_STMT_PREPARE:
    'PREPARED as a two-phase transaction, still holding their locks until COMMIT PREPARED or ROLLBACK PREPARED',
};

function transactionEnded(st: Statement, index: number, total: number): string {
  const [k, b] = kindOf(st);
  const fate = (k === 'TransactionStmt' && b.kind && TX_END[b.kind]) || 'committed or rolled back (check the database)';
  return (
    `statement ${index + 1} of ${total} ended the step transaction (${st.text.split('\n', 1)[0] ?? ''}): ` +
    `the statements before it were ${fate}; nothing after it ran. Leave transaction control to migrate, ` +
    'or use transaction: false and write BEGIN/COMMIT yourself'
  );
}

/** What migrate itself sends around the step's statements. */
type Phase = 'BEGIN' | 'SET lock_timeout' | 'SET statement_timeout' | 'COMMIT';

async function runOnce(
  client: pg.Client,
  statements: Statement[],
  vars: Vars,
  o: { transactional: boolean; lockMs: number; stmtMs: number | null; where?: string },
): Promise<Outcome> {
  const scope = o.transactional ? 'LOCAL ' : '';
  const status = () => client.getTransactionStatus();
  let i = 0;
  let opened = -1;
  // Set while one of migrate's own commands runs, so its error is not blamed on a statement.
  let phase: Phase | null = null;
  const own = async (p: Phase, text: string) => {
    phase = p;
    await client.query(text);
    phase = null;
  };
  try {
    if (o.transactional) await own('BEGIN', 'BEGIN');
    // Timeouts are settings, not values: numbers we computed, never runbook text.
    await own('SET lock_timeout', `SET ${scope}lock_timeout = ${Math.round(o.lockMs)}`);
    if (o.stmtMs !== null)
      await own('SET statement_timeout', `SET ${scope}statement_timeout = ${Math.round(o.stmtMs)}`);
    // `i` is the statement being run, for the error below.
    for (const st of statements) {
      const { text, values } = renderSql(st.text, (n) => vars.value(n));
      const was = status();
      await client.query(text, values);
      // The protocol reports the transaction state after every statement: hold the step to its promise.
      if (o.transactional && status() !== 'T') throw new TransactionBroken(transactionEnded(st, i, statements.length));
      if (was === 'I' && status() !== 'I') opened = i;
      i++;
    }
    if (o.transactional) await own('COMMIT', 'COMMIT');
    else if (status() !== 'I') {
      throw new TransactionBroken(
        `the step ended inside a transaction (the BEGIN at statement ${opened + 1} of ${statements.length} has no COMMIT): ` +
          'it was rolled back, so nothing since that BEGIN happened. Add the COMMIT',
      );
    }
    return { ok: true };
  } catch (e) {
    if (status() !== 'I') await client.query('ROLLBACK').catch(() => {});
    if (e instanceof TransactionBroken) return { ok: false, message: e.message, relations: [] };
    const err = e as pg.DatabaseError;
    if (!err.code) return { ok: false, message: `database connection failed: ${err.message}`, relations: [] };
    if (phase !== null)
      return {
        ok: false,
        code: err.code,
        message: describePhaseError(err, phase, statements.length, o.where),
        relations: [],
      };
    const st = statements[i];
    if (!st) return { ok: false, code: err.code, message: `${err.message} (SQLSTATE ${err.code})`, relations: [] };
    let message = describeError(err, st, i, statements.length);
    const relations = [...relationsOf(st.node)];
    if (err.code === LOCK_NOT_AVAILABLE) {
      message = `a lock blocked it${relations.length ? ` on ${relations.join(', ')}` : ''}: another session holds a conflicting lock longer than lock_timeout ${o.lockMs}ms\n${message}`;
    }
    return { ok: false, code: err.code, message, relations };
  }
}
