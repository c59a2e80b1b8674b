/**
 * `${name}` interpolation (SPEC 2.4). A template is parsed once into parts;
 * rendering escapes each value for where it lands (URL, SQL, JSON, text);
 * shell text is rendered in shell.ts (values travel as environment variables).
 * `$${` writes a literal `${`.
 */

import { MigrateError, UnsafeUrlError } from '../errors.js';
import { quote } from './diagnostics.js';

export type Part = { text: string } | { name: string; at: number };

const REF = /\$\$\{|\$\{([^}]*)\}/g;

export function parseTemplate(src: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of src.matchAll(REF)) {
    const [whole, name = ''] = m;
    const at = m.index!;
    if (at > last) parts.push({ text: src.slice(last, at) });
    if (whole === '$${') parts.push({ text: '${' });
    else parts.push({ name: name.trim(), at });
    last = at + whole.length;
  }
  if (last < src.length) parts.push({ text: src.slice(last) });
  return parts;
}

export function referencedNames(src: string): { name: string; at: number }[] {
  return parseTemplate(src).filter((p): p is { name: string; at: number } => 'name' in p);
}

export type Lookup = (name: string) => string;

/** Plain text: names, messages, URLs' display. */
export function renderText(src: string, lookup: Lookup): string {
  return parseTemplate(src)
    .map((p) => ('text' in p ? p.text : lookup(p.name)))
    .join('');
}

/**
 * URLs: values are percent-encoded, except a var that starts the URL: that is
 * its base (`${app_url}/metrics`) and must keep its scheme and slashes. A path
 * segment that a value makes `.` or `..` (in any spelling) is refused: it
 * would climb out of the path the runbook names (`/api/${x}/status`, x=..).
 */
export function renderUrl(src: string, lookup: Lookup): string {
  const parts = parseTemplate(src);
  let out = '';
  const valued: [number, number][] = [];
  parts.forEach((p, i) => {
    if ('text' in p) {
      out += p.text;
      return;
    }
    const v = i === 0 ? lookup(p.name) : encodeURIComponent(lookup(p.name));
    if (i > 0) valued.push([out.length, out.length + v.length]);
    out += v;
  });
  const pathEnd = out.search(/[?#]/) === -1 ? out.length : out.search(/[?#]/);
  const pathStart = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(out)?.[0].length ?? 0;
  let start = pathStart;
  for (const seg of out.slice(pathStart, pathEnd).split('/')) {
    const end = start + seg.length;
    if (/^(\.|%2e){1,2}$/i.test(seg) && valued.some(([a, b]) => a < end && b > start)) {
      throw new UnsafeUrlError(
        `a value makes the URL path segment '${quote(seg)}', which would leave the path the runbook names`,
      );
    }
    start = end + 1;
  }
  return out;
}

/**
 * A JSON body written as a string (`'{"user":"${who}"}'`): inside a JSON
 * string a value is JSON-escaped; elsewhere it becomes a JSON string (or a
 * number when it is one). The result must parse, so no value adds a key.
 */
export function renderJsonBody(src: string, lookup: Lookup): string {
  let inString = false;
  const out = parseTemplate(src)
    .map((p) => {
      if ('text' in p) {
        for (let i = 0; i < p.text.length; i++) {
          if (inString && p.text[i] === '\\') i++;
          else if (p.text[i] === '"') inString = !inString;
        }
        return p.text;
      }
      const v = lookup(p.name);
      if (inString) return JSON.stringify(v).slice(1, -1);
      return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? v : JSON.stringify(v);
    })
    .join('');
  try {
    JSON.parse(out);
  } catch {
    throw new MigrateError('the JSON body is not valid JSON once its values are in place');
  }
  return out;
}

/** Whether a string body is meant as JSON (so values are escaped as JSON). */
export function looksLikeJson(body: string, headers: Record<string, string> = {}): boolean {
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (type !== undefined) return /json/i.test(type);
  return /^\s*[[{]/.test(body);
}

/** SQL: every value becomes a bound parameter ($1, $2, ...), never text. */
export function renderSql(src: string, lookup: Lookup): { text: string; values: string[] } {
  const values: string[] = [];
  const text = parseTemplate(src)
    .map((p) => {
      if ('text' in p) return p.text;
      values.push(lookup(p.name));
      return `$${values.length}`;
    })
    .join('');
  return { text, values };
}
