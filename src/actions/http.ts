/** `http:` actions: one request; ok by its `expect`, else by a 2xx status. */
import { InterruptedError } from '../errors.js';
import { jsonPath } from '../engine/checks.js';
import { errorText, request } from '../engine/http.js';
import { evaluate } from '../expr/evaluate.js';
import { parseExpr } from '../expr/parse.js';
import { renderUrl } from '../runbook/template.js';
import type { HttpSpec } from '../runbook/types.js';
import type { ActionModule } from './types.js';

export interface HttpAction {
  kind: 'http';
  http: HttpSpec;
}

export const http: ActionModule<HttpAction> = {
  kind: 'http',
  describe: (a, show) => `${a.http.method ?? 'GET'} ${renderUrl(a.http.url, show)}`,
  async run({ http: h }, ctx, { vars, timeoutMs }) {
    try {
      const r = await request(h, vars, timeoutMs ?? 30_000, ctx.signal);
      const ok = h.expect
        ? Boolean(
            evaluate(parseExpr(h.expect), {
              ...vars.scope(),
              status: r.status,
              value: jsonPath(r.body, h.json) as never,
            }),
          )
        : r.ok;
      return {
        ok,
        message: `HTTP ${r.status}${ok ? '' : h.expect ? ` (expected ${h.expect})` : ''}`,
        tail: vars.mask(r.text).slice(0, 2000),
      };
    } catch (e) {
      if (ctx.signal.aborted) throw new InterruptedError('interrupted');
      return { ok: false, message: vars.mask(`request failed: ${errorText(e)}`), tail: '' };
    }
  },
};
