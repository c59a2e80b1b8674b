/**
 * Shell interpolation by design, not by escaping: a `${x}` in shell text is
 * rendered as a reference to the environment variable MIGRATE_VAR_x, and the
 * value reaches the shell only through the environment. The value is then
 * data in every context (comments, `$(...)`, here-docs, `$'...'`, nested
 * `sh -c '...'`): no value is ever part of the script text.
 *
 * The lexer below only decides which spelling of the reference reads best
 * where it lands (`"$V"` bare, `${V}` inside double quotes, where quotes would
 * split the word); a wrong guess can change how a value is split, never run it.
 */
import { MigrateError } from '../errors.js';
import { parseTemplate, type Lookup } from './template.js';

export enum ShellContext {
  /** Unquoted script text (top level, inside `$(...)` or backticks). */
  Bare = 'bare',
  /** Inside "...": the shell expands `${V}` there without splitting. */
  Double = 'double',
  /** Inside '...': this shell does not expand it; a nested `sh -c '...'` does. */
  Single = 'single',
  /** Inside $'...': never expanded by this shell. */
  Ansi = 'ansi',
  /** After `#` to the end of the line. */
  Comment = 'comment',
  /** The body of an unquoted here-doc: expanded, not split. */
  HereDoc = 'heredoc',
  /** The body of a here-doc with a quoted terminator: literal for this shell. */
  QuotedHereDoc = 'heredoc-quoted',
}

export interface ShellRef {
  name: string;
  /** Offset of the `${` in the template. */
  at: number;
  context: ShellContext;
  /** The value starts an unquoted word (`sort ${file}`), or would when the values in `prefix` are empty: a leading `-` would be read as an option. */
  wordStart: boolean;
  /** The refs before this one in its word, with no other text: `${a}${b}` starts with b's value when a's is empty. */
  prefix: string[];
  /** The quoted text follows `-c` (`sh -c '...'`) or the here-doc feeds a shell: a nested shell expands it. */
  nested: boolean;
}

/** Environment variable name for a var; names that are not identifiers get a hex spelling. */
export function envName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `MIGRATE_VAR_${name}` : `MIGRATE_VARX_${Buffer.from(name).toString('hex')}`;
}

/** `word` counts what the current word holds so far; `lead` the refs among it, while it holds nothing else. */
type BareFrame = { kind: 'bare'; word: number; lead: string[]; parens: number; backtick: boolean };
type Frame = BareFrame
  | { kind: 'double' | 'single' | 'ansi' | 'comment'; nested: boolean }
  | { kind: 'heredoc'; delim: string; quoted: boolean; strip: boolean; line: string; clean: boolean; nested: boolean };

interface PendingDoc { delim: string; quoted: boolean; strip: boolean; nested: boolean }

const SEPARATORS = new Set([' ', '\t', ';', '&', '|', '(', ')', '<', '>']);
const SHELLS = /(^|[\s/|;&])(ba|da|k|z)?sh(\s+-\w+)*\s*$/;

/** Walks a template's text and reports the context of every `${name}`. */
export function shellRefs(src: string): ShellRef[] {
  const refs: ShellRef[] = [];
  // The root frame is never popped (every pop below leaves a frame it pushed).
  const root: BareFrame = { kind: 'bare', word: 0, lead: [], parens: 0, backtick: false };
  const stack: Frame[] = [root];
  const pending: PendingDoc[] = [];
  let line = ''; // the current line's text so far, for "-c" and "sh <<" detection
  const top = (): Frame => stack.at(-1) ?? root;
  const bare = (): BareFrame => [...stack].reverse().find((f): f is BareFrame => f.kind === 'bare') ?? root;
  const nestedQuote = () => /(^|\s)-\w*c\s*$/.test(line.slice(0, -1));

  const step = (text: string, i: number): number => {
    const f = top();
    const c = text.charAt(i); // i < text.length: the caller's loop bound
    const next = text[i + 1];
    if (f.kind === 'heredoc') {
      if (c === '\n') {
        const body = f.strip ? f.line.replace(/^\t+/, '') : f.line;
        if (f.clean && body === f.delim) stack.pop(); else { f.line = ''; f.clean = true; }
        if (top().kind !== 'heredoc' && pending.length) pushDoc();
        return i + 1;
      }
      if (!f.quoted && c === '\\') { f.line += c + (next ?? ''); return i + 2; }
      if (!f.quoted && c === '$' && next === '(') { f.clean = false; stack.push(sub(false)); return i + 2; }
      if (!f.quoted && c === '`') { f.clean = false; stack.push(sub(true)); return i + 1; }
      f.line += c;
      return i + 1;
    }
    if (f.kind === 'comment') {
      if (c === '\n') { stack.pop(); return i; }
      return i + 1;
    }
    if (f.kind === 'single') {
      if (c === "'") stack.pop();
      return i + 1;
    }
    if (f.kind === 'ansi') {
      if (c === '\\') return i + 2;
      if (c === "'") stack.pop();
      return i + 1;
    }
    if (f.kind === 'double') {
      if (c === '\\') return i + 2;
      if (c === '"') { stack.pop(); return i + 1; }
      if (c === '$' && next === '(') { stack.push(sub(false)); return i + 2; }
      if (c === '`') { stack.push(sub(true)); return i + 1; }
      bare().word++;
      return i + 1;
    }
    // bare
    const bf = f as BareFrame;
    line += c;
    if (c === '\\') { line += next ?? ''; bf.word++; return i + 2; }
    if (c === "'") { stack.push({ kind: 'single', nested: nestedQuote() }); return i + 1; }
    if (c === '"') { stack.push({ kind: 'double', nested: nestedQuote() }); return i + 1; }
    if (c === '$' && next === "'") { stack.push({ kind: 'ansi', nested: false }); return i + 2; }
    if (c === '$' && next === '(') { stack.push(sub(false)); return i + 2; }
    if (c === '`') {
      if (bf.backtick) stack.pop(); else stack.push(sub(true));
      return i + 1;
    }
    if (c === '#' && bf.word === 0) { stack.push({ kind: 'comment', nested: false }); return i + 1; }
    if (c === '<' && next === '<' && text[i + 2] !== '<') return hereDocOperator(text, i);
    if (c === '\n') {
      line = '';
      newWord(bf);
      if (pending.length) pushDoc();
      return i + 1;
    }
    if (c === '(') bf.parens++;
    if (c === ')') {
      if (bf.parens === 0 && stack.length > 1 && !bf.backtick) { stack.pop(); bare().word++; return i + 1; }
      bf.parens--;
    }
    if (SEPARATORS.has(c)) newWord(bf); else bf.word++;
    return i + 1;
  };
  const sub = (backtick: boolean): Frame => ({ kind: 'bare', word: 0, lead: [], parens: 0, backtick });
  const newWord = (f: BareFrame) => { f.word = 0; f.lead = []; };
  const pushDoc = () => {
    const d = pending.shift();
    if (d) stack.push({ kind: 'heredoc', delim: d.delim, quoted: d.quoted, strip: d.strip, line: '', clean: true, nested: d.nested });
  };
  const hereDocOperator = (text: string, i: number): number => {
    const before = line.slice(0, -1);
    let j = i + 2;
    const strip = text[j] === '-';
    if (strip) j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    const m = /^(?:'([^']*)'|"([^"]*)"|\\?([A-Za-z0-9_.-]+))/.exec(text.slice(j));
    if (!m) return i + 2;
    const delim = m[1] ?? m[2] ?? m[3]!; // one of the three alternatives matched
    pending.push({ delim, quoted: m[1] !== undefined || m[2] !== undefined || m[0].startsWith('\\'), strip, nested: SHELLS.test(before) });
    line += text.slice(i + 1, j + m[0].length);
    newWord(bare());
    return j + m[0].length;
  };

  for (const p of parseTemplate(src)) {
    if ('text' in p) {
      for (let i = 0; i < p.text.length;) i = step(p.text, i);
      continue;
    }
    const f = top();
    const b = bare();
    const context = f.kind === 'bare' ? ShellContext.Bare : f.kind === 'heredoc' ? (f.quoted ? ShellContext.QuotedHereDoc : ShellContext.HereDoc)
      : ({ double: ShellContext.Double, single: ShellContext.Single, ansi: ShellContext.Ansi, comment: ShellContext.Comment } as const)[f.kind];
    // Only unquoted word starts: "${x}" is the template author saying "this is data" (a PEM key starts with -----).
    const wordStart = f.kind === 'bare' && b.word === b.lead.length;
    refs.push({ name: p.name, at: p.at, context, wordStart, prefix: wordStart ? [...b.lead] : [], nested: 'nested' in f ? f.nested : false });
    if (f.kind === 'heredoc') f.clean = false;
    else if (f.kind === 'bare' || f.kind === 'double') {
      if (b.word === b.lead.length) b.lead.push(p.name);
      b.word++;
      if (f.kind === 'bare') line += 'x';
    }
  }
  return refs;
}

/** The template's parts, each `${name}` paired with where it lands. */
function partsWithRefs(src: string): Array<{ text: string } | { name: string; ref: ShellRef }> {
  const refs = shellRefs(src);
  let k = 0;
  // shellRefs reports exactly one ref per `${name}` part of the same template, in order.
  return parseTemplate(src).map((p) => ('text' in p ? p : { name: p.name, ref: refs[k++]! }));
}

/** A value refused where it would land (a leading `-` where options are read). */
export class UnsafeValueError extends MigrateError {}

export interface ShellOptions {
  /** Whether this var may start with `-` where a command reads options (allow_dash or a pattern). */
  allowsDash?: (name: string) => boolean;
}

/** The script with references, and the environment that carries the values. */
export function renderShell(src: string, lookup: Lookup, opts: ShellOptions = {}): { script: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const script = partsWithRefs(src).map((p) => {
    if ('text' in p) return p.text;
    const { ref } = p;
    const value = lookup(p.name);
    if (startsOption(ref, lookup, (n) => opts.allowsDash?.(n) ?? false)) throw dashError(p.name);
    const v = envName(p.name);
    env[v] = value;
    return ref.context === ShellContext.Double || ref.context === ShellContext.HereDoc ? `\${${v}}` : `"$${v}"`;
  }).join('');
  return { script, env };
}

/**
 * A shell template ready to run: the script, and the environment carrying its
 * values (plus `base`, e.g. a step's own env:).
 */
export function shellCommand(shell: string, template: string, vars: { value(n: string): string; allowsDash(n: string): boolean }, base: Record<string, string> = {}) {
  const r = renderShell(template, (n) => vars.value(n), { allowsDash: (n) => vars.allowsDash(n) });
  return { cmd: { shell, script: r.script }, env: { ...base, ...r.env } };
}

/** Whether this value would begin its word with `-` (after only empty values) where options are read, and the var does not allow it. */
export function startsOption(ref: ShellRef, lookup: Lookup, allowsDash: (name: string) => boolean): boolean {
  return ref.wordStart && ref.prefix.every((n) => lookup(n) === '') && lookup(ref.name).startsWith('-') && !allowsDash(ref.name);
}

/** The ref whose value would begin an argv word with `-` (after only empty values), if that var does not allow it. */
export function argvOption(word: string, lookup: Lookup, allowsDash: (name: string) => boolean): { name: string; at: number } | null {
  for (const p of parseTemplate(word)) {
    if ('text' in p) return null;
    const v = lookup(p.name);
    if (v === '') continue;
    return v.startsWith('-') && !allowsDash(p.name) ? p : null;
  }
  return null;
}

export function dashError(name: string): UnsafeValueError {
  return new UnsafeValueError(`the value of '${name}' starts with '-' where a command reads options`,
    `if that is intended, give the var 'allow_dash: true' or a 'pattern:' that admits it`);
}

/**
 * What plans, journal displays and task titles show: the template with each
 * value (masked) in place, quoted for its context so it reads as what runs.
 */
export function displayShell(src: string, show: Lookup): string {
  return partsWithRefs(src).map((p) => {
    if ('text' in p) return p.text;
    const { ref } = p;
    const v = show(p.name);
    if (ref.context === ShellContext.Bare) return shellQuote(v);
    if (ref.context === ShellContext.Double || ref.context === ShellContext.HereDoc) return v.replace(/["\\$`]/g, (c) => `\\${c}`);
    return v;
  }).join('');
}

export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
