/**
 * One HTTP request, for steps and checks alike: the URL's values
 * percent-encoded, headers and body as text, the reply's JSON parsed when it
 * is JSON (else its text).
 */
import { renderText, renderUrl } from '../runbook/template.js';
import type { HttpSpec } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';

export interface HttpReply { status: number; ok: boolean; text: string; body: unknown }

export async function request(h: HttpSpec, vars: Vars, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
  const value = (n: string) => vars.value(n);
  const headers: Record<string, string> = Object.fromEntries(Object.entries(h.headers ?? {}).map(([k, v]) => [k, renderText(v, value)]));
  const body = h.body === undefined ? undefined : typeof h.body === 'string' ? renderText(h.body, value) : JSON.stringify(h.body, (_k, v) => (typeof v === 'string' ? renderText(v, value) : v));
  if (typeof h.body === 'object' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetch(renderUrl(h.url, value), { method: h.method ?? 'GET', headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* not JSON: the text */ }
  return { status: res.status, ok: res.ok, text, body: parsed };
}

/** fetch hides the real reason (connection refused, DNS) in `cause`. */
export function errorText(e: unknown): string {
  const err = e as Error & { cause?: { message?: string } };
  return err.cause?.message ?? err.message ?? String(e);
}
