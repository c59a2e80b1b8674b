/**
 * `${name}` interpolation (SPEC 2.4). A template is parsed once into parts;
 * rendering escapes each value for where it lands (shell, URL, SQL, text).
 * `$${` writes a literal `${`.
 */

export type Part = { text: string } | { name: string; at: number };

const REF = /\$\$\{|\$\{([^}]*)\}/g;

export function parseTemplate(src: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of src.matchAll(REF)) {
    const at = m.index!;
    if (at > last) parts.push({ text: src.slice(last, at) });
    if (m[0] === '$${') parts.push({ text: '${' });
    else parts.push({ name: m[1].trim(), at });
    last = at + m[0].length;
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
  return parseTemplate(src).map((p) => ('text' in p ? p.text : lookup(p.name))).join('');
}

/**
 * URLs: values are percent-encoded, except a var that starts the URL: that is
 * its base (`${app_url}/metrics`) and must keep its scheme and slashes.
 */
export function renderUrl(src: string, lookup: Lookup): string {
  return parseTemplate(src).map((p, i) => ('text' in p ? p.text : i === 0 ? lookup(p.name) : encodeURIComponent(lookup(p.name)))).join('');
}

/** SQL: every value becomes a bound parameter ($1, $2, ...), never text. */
export function renderSql(src: string, lookup: Lookup): { text: string; values: string[] } {
  const values: string[] = [];
  const text = parseTemplate(src).map((p) => {
    if ('text' in p) return p.text;
    values.push(lookup(p.name));
    return `$${values.length}`;
  }).join('');
  return { text, values };
}

/**
 * Shell: each value lands as data in whatever quoting context the template
 * has at that point, so no value can end a quote or start a command.
 */
export function renderShell(src: string, lookup: Lookup): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (const p of parseTemplate(src)) {
    if ('text' in p) {
      for (let i = 0; i < p.text.length; i++) {
        const c = p.text[i];
        if (c === '\\' && quote !== "'") { out += c + (p.text[i + 1] ?? ''); i++; continue; }
        if (quote === '' && (c === "'" || c === '"')) quote = c;
        else if (quote === c) quote = '';
        out += c;
      }
      continue;
    }
    const v = lookup(p.name);
    if (quote === "'") out += v.replace(/'/g, `'\\''`);
    else if (quote === '"') out += v.replace(/["\\$`]/g, (c) => `\\${c}`);
    else out += shellQuote(v);
  }
  return out;
}

export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
