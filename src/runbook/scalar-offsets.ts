/**
 * Where a character of a scalar's value sits in the YAML source, for every
 * scalar style. Folding, indentation, chomping and escapes only ever change
 * whitespace or turn an escape sequence into one character, so the value's
 * non-whitespace characters appear in the source in the same order: decode the
 * source's non-whitespace characters (escapes resolved) and walk both at once.
 * Any disagreement means a case this does not understand: return null and let
 * the caller fall back.
 */
import type { YamlNode } from './yaml.js';

interface Unit {
  ch: string;
  at: number;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};
const HEX: Record<string, number> = { x: 2, u: 4, U: 8 };

function doubleQuoted(src: string, from: number, to: number): Unit[] {
  const out: Unit[] = [];
  for (let i = from + 1; i < to && src[i] !== '"'; i++) {
    const at = i;
    let ch = src.charAt(i);
    if (ch === '\\') {
      const e = src.charAt(++i);
      if (e === '\n' || e === '\r') continue; // an escaped line break joins the lines
      const digits = HEX[e];
      if (digits) {
        ch = String.fromCodePoint(parseInt(src.slice(i + 1, i + 1 + digits), 16));
        i += digits;
      } else ch = SIMPLE_ESCAPES[e] ?? e;
    }
    if (!/\s/.test(ch)) out.push({ ch, at });
  }
  return out;
}

function singleQuoted(src: string, from: number, to: number): Unit[] {
  const out: Unit[] = [];
  for (let i = from + 1; i < to; i++) {
    if (src[i] === "'") {
      if (src[i + 1] !== "'") break;
      out.push({ ch: "'", at: i++ });
    } else if (!/\s/.test(src.charAt(i))) out.push({ ch: src.charAt(i), at: i });
  }
  return out;
}

function raw(src: string, from: number, to: number): Unit[] {
  const out: Unit[] = [];
  for (let i = from; i < to; i++) if (!/\s/.test(src.charAt(i))) out.push({ ch: src.charAt(i), at: i });
  return out;
}

function units(src: string, node: YamlNode): Unit[] {
  const { start, end } = node;
  switch (node.style) {
    case 'double':
      return doubleQuoted(src, start, end);
    case 'single':
      return singleQuoted(src, start, end);
    // The header line (`|2-  # comment`) is not content.
    case 'literal':
    case 'folded':
      return raw(src, src.indexOf('\n', start) + 1 || end, end);
    default:
      return raw(src, start, end);
  }
}

/** Source offset of the value's first non-whitespace character at or after `offset`, or null. */
export function sourceOffset(src: string, node: YamlNode, offset: number): number | null {
  const value = String(node.result);
  const us = units(src, node);
  let u = 0;
  let found: number | null = null;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (/\s/.test(ch)) continue;
    // Astral characters are two UTF-16 units in the value and one code point in the decoded escape.
    const cp = String.fromCodePoint(value.codePointAt(i)!);
    const unit = us[u];
    if (!unit || (unit.ch !== ch && unit.ch !== cp)) return null;
    if (found === null && i >= offset) found = unit.at;
    if (unit.ch === cp && cp.length === 2) i++;
    u++;
  }
  return u === us.length ? found : null;
}
