/**
 * One HTTP request, for steps and checks alike: the URL's values
 * percent-encoded, headers and body as text (a JSON string body with its
 * values JSON-escaped), the reply's JSON parsed when it is JSON (else its
 * text). Redirects are followed only where the runbook's headers may go, and
 * the body is read up to a cap while it streams.
 */
import { ReplyTooLargeError, UnsafeUrlError } from '../errors.js';
import { hideCredentials, urlProblem } from '../runbook/url.js';
import { looksLikeJson, renderJsonBody, renderText, renderUrl } from '../runbook/template.js';
import type { HttpSpec } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';

export interface HttpReply {
  status: number;
  ok: boolean;
  text: string;
  body: unknown;
}

export const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** `10MB` -> bytes (validated by the schema). */
export function parseSize(text: string | undefined): number {
  const m = text === undefined ? null : /^(\d+)(B|KB|MB|GB)$/.exec(text);
  const unit = m && UNITS[m[2] ?? ''];
  return m && unit ? Number(m[1]) * unit : DEFAULT_MAX_BODY;
}

/** `10485760` -> `10MB`: a size as a runbook writes it. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse())
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes}B`;
}

/**
 * A URL template rendered, or why fetch would never send it (another scheme,
 * credentials, a blocked port). The message names the URL as the runbook
 * writes it, secrets masked: never the rendered text, whose encoding of a
 * secret the output redactor may not know.
 */
export function sendableUrl(template: string, vars: Vars, what = 'URL'): string {
  const url = renderUrl(template, (n) => vars.value(n));
  const problem = urlProblem(url);
  if (problem)
    throw new UnsafeUrlError(`the ${what} ${hideCredentials(renderUrl(template, (n) => vars.display(n)))} ${problem}`);
  return url;
}

/**
 * One request. `capField` names the field that sets the reply cap in the
 * messages (`max_body` for http; a probe without one passes null).
 */
export async function request(
  h: HttpSpec,
  vars: Vars,
  timeoutMs: number,
  signal?: AbortSignal,
  capField: string | null = 'max_body',
): Promise<HttpReply> {
  const value = (n: string) => vars.value(n);
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(h.headers ?? {}).map(([k, v]) => [k, renderText(v, value)]),
  );
  let body: string | undefined;
  if (typeof h.body === 'string')
    body = looksLikeJson(h.body, h.headers) ? renderJsonBody(h.body, value) : renderText(h.body, value);
  else if (h.body !== undefined)
    body = JSON.stringify(h.body, (_k, v) => (typeof v === 'string' ? renderText(v, value) : v));
  if (typeof h.body === 'object' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await follow(sendableUrl(h.url, vars), {
    method: h.method ?? 'GET',
    headers,
    body,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  const text = await readCapped(res, parseSize(h.max_body), capField);
  let parsed: unknown = text;
  try {
    parsed = text === '' ? '' : JSON.parse(text);
  } catch {
    /* not JSON: the text */
  }
  return { status: res.status, ok: res.ok, text, body: parsed };
}

/**
 * fetch would carry the runbook's headers (an API key) to wherever a
 * redirect points. Follow a redirect only to the same origin, or from http to
 * https on the same host's default ports; any other redirect is the reply (its 3xx status).
 */
async function follow(url: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
  let current = new URL(url);
  let opts = init;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...opts, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location || hop === MAX_REDIRECTS) return res;
    const next = new URL(location, current);
    const sameOrigin = next.origin === current.origin;
    // Only the standard upgrade (port 80 to 443): another port of the host may be another service.
    const upgrade =
      current.protocol === 'http:' &&
      next.protocol === 'https:' &&
      next.hostname === current.hostname &&
      current.port === '' &&
      next.port === '';
    if (!sameOrigin && !upgrade) return res;
    await res.body?.cancel();
    // 303 (and 301/302 after a POST) turn into a GET without a body, as browsers and fetch do.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && opts.method === 'POST')) {
      const headers = Object.fromEntries(
        Object.entries(opts.headers).filter(([k]) => k.toLowerCase() !== 'content-type'),
      );
      opts = { ...opts, method: 'GET', body: undefined, headers };
    }
    current = next;
  }
}

async function readCapped(res: Response, max: number, field: string | null): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = () =>
    new ReplyTooLargeError(`the reply is larger than ${formatSize(max)}${field ? ` (${field})` : ''}; not read`);
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch hides the real reason (connection refused, DNS) in `cause`. */
export function errorText(e: unknown): string {
  const err = e as Error & { cause?: { message?: string } };
  return err.cause?.message ?? err.message ?? String(e);
}
