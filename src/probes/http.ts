/** `http:` probes: `status`, and the JSON body (or a path in it) as `value`. */
import { request } from '../engine/http.js';
import { renderUrl } from '../runbook/template.js';
import type { HttpSpec } from '../runbook/types.js';
import { isNoData, type ProbeModule } from './types.js';

export function jsonPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split('.')) {
    // Own keys only: `constructor` in a path is no member of the reply.
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export interface HttpProbe {
  kind: 'http';
  http: HttpSpec;
}

export const http: ProbeModule<HttpProbe> = {
  kind: 'http',
  reads: { names: ['value', 'status'], always: ['status'] },
  durations: ['timeout'],
  describe: ({ http: h }, show) => `${h.method ?? 'GET'} ${renderUrl(h.url, show)}${h.json ? ` -> ${h.json}` : ''}`,
  async sample({ http: h }, ctx) {
    const res = await request(h, ctx.vars, ctx.timeoutMs, ctx.signal);
    const value = jsonPath(res.body, h.json);
    const plain = { passed: res.ok, message: `HTTP ${res.status}`, value: res.status };
    return { value, scope: { status: res.status }, hasData: !isNoData(value), plain };
  },
};
