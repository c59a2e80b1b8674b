/** `sql:` probes: the first column of the first row as `value`, `rows` the row count. */
import { renderText } from '../runbook/template.js';
import { isNoData, type ProbeModule } from './types.js';

export interface SqlProbe {
  kind: 'sql';
  sql: string;
  database?: string;
}

export const sql: ProbeModule<SqlProbe> = {
  kind: 'sql',
  reads: { names: ['value', 'rows'], always: ['rows'] },
  describe: (p, show) => renderText(p.sql.trim(), show),
  async sample(p, ctx) {
    // Loaded on use: only runbooks with sql checks pay for the driver.
    const { querySql } = await import('../pg/query.js');
    const r = await querySql(p.sql, p.database, ctx.vars, ctx.timeoutMs, ctx.signal);
    const value = r.rows === 0 ? null : r.value;
    return {
      value,
      scope: { rows: r.rows },
      hasData: !isNoData(value),
      plain: { passed: true, message: `${r.rows} row(s)`, value },
    };
  },
};
