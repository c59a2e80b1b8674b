/** Transaction statements inside a step: what a step may and may not say about its transaction. */
import type { LintFinding } from './lint-rules.js';
import { kindOf, type Statement } from './parse.js';

const OPEN = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const CLOSE = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);
const txError = (code: string, offset: number, what: string, safer: string): LintFinding => ({
  code,
  severity: 'error',
  risk: 'high',
  offset,
  what,
  lock: null,
  blocks: null,
  safer,
});

/**
 * Rules over the whole step: transaction statements. In a transactional step
 * migrate owns the transaction, so any statement that ends it (COMMIT, END,
 * ROLLBACK, PREPARE) or opens another breaks the promise that the step is one
 * unit; with transaction: false every BEGIN must be closed and none nested.
 */
export function transactionFindings(statements: Statement[], transactional = true): LintFinding[] {
  const out: LintFinding[] = [];
  const savepoints = new Set<string>();
  let open: Statement | null = null;
  for (const st of statements) {
    const [k, b] = kindOf(st);
    if (k !== 'TransactionStmt') continue;
    const kind: string = b.kind ?? '';
    if (transactional) {
      if (OPEN.has(kind) || CLOSE.has(kind) || kind.endsWith('_PREPARED')) {
        out.push(
          txError(
            'transaction-control',
            st.offset,
            `${(st.text.split(/\s/, 1)[0] ?? '').toUpperCase()} inside a step that migrate runs in a transaction: ` +
              'statements before it would be committed or lost while the step reports one outcome, and those after it would run without lock_timeout',
            'drop it and let the step be one transaction, or split the step; use transaction: false only for statements that cannot run in one',
          ),
        );
      } else if (kind === 'TRANS_STMT_SAVEPOINT') savepoints.add(b.savepoint_name ?? '');
      else if (
        kind === 'TRANS_STMT_ROLLBACK_TO' ||
        (kind === 'TRANS_STMT_RELEASE' && !savepoints.has(b.savepoint_name ?? ''))
      ) {
        out.push(
          txError(
            'transaction-control',
            st.offset,
            kind === 'TRANS_STMT_RELEASE'
              ? `RELEASE of a savepoint the step never declared (${b.savepoint_name})`
              : 'ROLLBACK TO SAVEPOINT silently undoes statements the step then reports as done',
            'drop the savepoint statements: a step cannot branch on errors, it succeeds or rolls back whole',
          ),
        );
      }
      continue;
    }
    if (OPEN.has(kind)) {
      if (open)
        out.push(
          txError(
            'nested-transaction',
            st.offset,
            'BEGIN inside an open transaction: PostgreSQL ignores it, and the first COMMIT commits both',
            'COMMIT the first transaction before the next BEGIN',
          ),
        );
      open = st;
    } else if (CLOSE.has(kind)) open = null;
  }
  if (open) {
    out.push(
      txError(
        'begin-without-commit',
        open.offset,
        'BEGIN without COMMIT: the transaction is still open when the step ends, so migrate rolls it back and the step fails',
        'add the COMMIT, or drop BEGIN and let migrate run the step in a transaction (the default)',
      ),
    );
  }
  return out;
}
