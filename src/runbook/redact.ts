/**
 * Masking secrets (SPEC 2.4). A secret leaks in more spellings than its own:
 * percent-encoded in a URL, quoted by a shell, escaped inside JSON, base64 in
 * a token or a Basic header, one line at a time from a PEM key. A Redactor
 * masks every such form with one regular expression; the process-wide one
 * (`redact`) is the choke point that all output passes through last.
 */
export const MASK = '***';

/** Shorter fragments (a PEM key's short last line, a base64 edge) would mask ordinary text. */
const MIN_FRAGMENT = 6;

function base64Forms(s: string): string[] {
  const bytes = Buffer.from(s);
  const out: string[] = [];
  // The secret can start at any of three offsets inside a longer base64 text
  // (`user:secret` in a Basic header); keep the characters only it determines.
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const from = Math.ceil((8 * k) / 6);
    const to = Math.floor((8 * (k + bytes.length)) / 6);
    const core = enc.slice(from, to);
    if (core.length >= MIN_FRAGMENT) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  const whole = bytes.toString('base64');
  if (whole.length >= MIN_FRAGMENT) out.push(whole);
  return out;
}

/**
 * A secret that is a number is printed by value as often as by spelling: without
 * leading zeros, without trailing fractional zeros, or with decimals added.
 */
function numberForms(s: string): string[] {
  const t = s.trim();
  if (!/^[+-]?\d+(\.\d+)?$/.test(t)) return [];
  const n = Number(t);
  if (!Number.isFinite(n)) return [];
  const out = [String(n), t.replace(/^([+-]?)0+(?=\d)/, '$1')];
  if (t.includes('.')) out.push(t.replace(/0+$/, '').replace(/\.$/, ''));
  return out;
}

/** Every spelling of a secret that output may carry. */
export function secretForms(s: string): string[] {
  if (s === '') return [];
  const forms = new Set<string>([s]);
  const add = (f: string) => {
    if (f !== s && f.length >= Math.min(MIN_FRAGMENT, s.length)) forms.add(f);
  };
  // Percent-encoding: JavaScript's, RFC 3986's (also !'()*), form-style spaces, and lower-case hex for each.
  const rfc3986 = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const pythonQuote = rfc3986.replace(/%2F/g, '/'); // urllib.parse.quote keeps '/' by default
  for (const p of [encodeURIComponent(s), rfc3986, encodeURI(s), pythonQuote]) {
    for (const q of [p, p.replace(/%20/g, '+')]) {
      add(q);
      add(q.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
  }
  add(s.replace(/'/g, `'\\''`)); // inside '...'
  add(s.replace(/'/g, `'"'"'`)); // inside '...', as Python's shlex.quote closes and reopens it
  add(s.replace(/["\\$`]/g, (c) => `\\${c}`)); // inside "..."
  add(s.replace(/[^A-Za-z0-9_./:=@%+,-]/g, (c) => `\\${c}`)); // backslash-escaped, every special character
  add(s.replace(/[\s!"$&'()*;<>?[\\\]`{|}^]/g, (c) => `\\${c}`)); // bash printf %q: '#' and '~' inside a word stay bare
  add(JSON.stringify(s).slice(1, -1));
  add(
    JSON.stringify(s)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ); // ASCII-only JSON
  add(JSON.stringify(JSON.stringify(s)).slice(2, -2)); // JSON inside a JSON string
  add(JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/')); // JSON with escaped slashes (PHP's json_encode)
  for (const f of numberForms(s)) add(f);
  for (const f of base64Forms(s)) add(f);
  if (/[\r\n]/.test(s)) {
    for (const line of s.split(/\r?\n/)) {
      const t = line.trim();
      if (t.length >= MIN_FRAGMENT) forms.add(t);
    }
  }
  return [...forms];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Redactor {
  private readonly re: RegExp | null;

  constructor(readonly secrets: string[]) {
    const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
    this.re = forms.length ? new RegExp(forms.map(escapeRe).join('|'), 'g') : null;
  }

  mask(text: string): string {
    return this.re ? text.replace(this.re, MASK) : text;
  }

  /** Strings masked; a number that spells a secret (a PIN) becomes the mask. */
  maskDeep(v: unknown): unknown {
    if (typeof v === 'string') return this.mask(v);
    if (typeof v === 'number' || typeof v === 'bigint') return this.re && this.mask(String(v)) !== String(v) ? MASK : v;
    if (Array.isArray(v)) return v.map((x) => this.maskDeep(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.maskDeep(x)]));
    return v;
  }
}

let active = new Redactor([]);

/** Add secrets to the process-wide mask (every resolved set of vars does). */
export function registerSecrets(values: string[]): void {
  const fresh = values.filter((v) => v !== '' && !active.secrets.includes(v));
  if (fresh.length) active = new Redactor([...active.secrets, ...fresh]);
}

/** The last step of everything printed: mask every known secret in every spelling. */
export function redact(text: string): string {
  return active.mask(text);
}
