/** A located finding about a runbook: what `validate` prints in every format. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export type Path = (string | number)[];

/**
 * What a rule reports before it is located: the path of the value in the
 * runbook, and optionally an offset into that string (for expressions and SQL).
 */
export interface Finding {
  path: Path;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
  /** Character offset inside the string value. */
  offset?: number;
}

export const error = (path: Path, code: string, message: string, extra: Partial<Finding> = {}): Finding => ({
  path,
  severity: 'error',
  code,
  message,
  ...extra,
});

export const warning = (path: Path, code: string, message: string, extra: Partial<Finding> = {}): Finding => ({
  path,
  severity: 'warning',
  code,
  message,
  ...extra,
});

export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? quote(p) : `.${quote(p)}`)).join('');
}

/** Suggestions are for typos: longer words, or words further off than this, get none (and cost nothing). */
const SUGGEST_MAX_LENGTH = 64;
/** ...and only the first this many candidates are compared (keys, events and vars are short lists; step ids may not be). */
const SUGGEST_MAX_CANDIDATES = 500;

/**
 * Edit distance counting a swap of neighbours as one edit ("hihg" is one from
 * "high"), or `limit + 1` as soon as it is known to exceed `limit`. Only a
 * band of width 2*limit+1 around the diagonal is computed, three rows at a time.
 */
export function distance(a: string, b: string, limit = Math.max(a.length, b.length)): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const over = limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => (j <= limit ? j : over));
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(over);
    if (i <= limit) row[0] = i;
    let best = row[0]!;
    for (let j = Math.max(1, i - limit); j <= Math.min(b.length, i + limit); j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row[j] = Math.min(d, over);
      best = Math.min(best, row[j]!);
    }
    if (best > limit) return over;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  if (word.length > SUGGEST_MAX_LENGTH) return '';
  let best: string | undefined;
  let bestScore = Infinity;
  let seen = 0;
  for (const c of candidates) {
    if (++seen > SUGGEST_MAX_CANDIDATES) break;
    if (c.length > SUGGEST_MAX_LENGTH) continue;
    const limit = Math.max(1, Math.floor(c.length / 3));
    const d = distance(word.toLowerCase(), c.toLowerCase(), limit);
    if (d <= limit && d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best !== undefined ? `; did you mean '${best}'?` : '';
}

/** A value as a message quotes it: long text is cut, so a 4 MB string does not become a 4 MB message; control characters are escaped. */
export function quote(text: string, max = 60): string {
  return printable(text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`);
}

/**
 * C0 and C1 controls, DEL, and the invisible marks that reorder or hide text
 * (bidi overrides, zero-width characters): a value holding them could clear the
 * screen, overwrite a line (CR), forge one (LF) or read backwards in a message.
 */
// eslint-disable-next-line no-control-regex -- control characters are what these find
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_KEEPING_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return (
    NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  );
}

/** A value as it may appear in a message: every control character escaped (`\x1b`, `\r`, `\n`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/** A whole message's last line of defence: controls escaped, its own line breaks and tabs kept. */
export function printableMessage(text: string): string {
  return text.replace(CONTROL_KEEPING_LINES, escapeControl);
}

/** 20000 -> '20,000', by hand: toLocaleString's first call loads ICU (~30 ms of a command's start). */
export const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');
