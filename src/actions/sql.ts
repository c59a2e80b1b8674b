/** `sql:` actions: statements through the driver (loaded on use), with lock and statement timeouts. */
import { InterruptedError } from '../errors.js';
import { renderText } from '../runbook/template.js';
import type { ActionModule } from './types.js';

export interface SqlAction {
  kind: 'sql';
  sql: string;
  database?: string;
  transaction?: boolean;
  lock_timeout?: string;
  statement_timeout?: string;
}

export const sql: ActionModule<SqlAction> = {
  kind: 'sql',
  describe: (a, show) => renderText(a.sql.trim(), show),
  async run(a, ctx, opts) {
    const { vars } = opts;
    const { runSql } = await import('../pg/execute.js');
    try {
      const where =
        opts.stage !== undefined && opts.step !== undefined ? ctx.where?.(opts.stage, opts.step) : undefined;
      const r = await runSql(a, vars, { signal: ctx.signal, onLine: (l) => ctx.reporter.output(opts.id, l), where });
      if (ctx.signal.aborted) throw new InterruptedError('interrupted');
      return { ok: r.ok, message: r.message, tail: r.ok ? '' : r.message };
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      return { ok: false, message: vars.mask(`database: ${(e as Error).message}`), tail: '' };
    }
  },
};
