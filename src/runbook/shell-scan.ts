/**
 * Where each `${name}` lands in shell text: its quoting (which decides the
 * spelling of the reference), whether it starts a word (option injection),
 * and the two places where a value passed as data still becomes code: bash
 * arithmetic, which evaluates `a[$(cmd)]` inside a variable's value, and an
 * argument another parser reads as code (`sh -c "..."`, `eval`, `ssh`).
 * Text a nested shell will run (`sh -c '...'`, `bash <<'EOF'`) is scanned
 * again as that shell will see it.
 */
import { parseTemplate } from './template.js';
import {
  ARITH_TESTS,
  codeOperand,
  commandValue,
  DECLARE,
  KEYWORDS,
  quotesForShell,
  readsStdin,
  REF_MARK,
  runsFile,
} from './shell-commands.js';

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
  /** Inside `$((...))`, `((...))` or `$[...]`: quotes are not allowed there by every shell. */
  Arithmetic = 'arithmetic',
}

export interface ShellRef {
  name: string;
  /** Offset of the `${` in the template. */
  at: number;
  context: ShellContext;
  /** The value starts an unquoted word (`sort ${file}`), or would when the values in `prefix` are empty. */
  wordStart: boolean;
  /** The refs before this one in its word, with no other text: `${a}${b}` starts with b's value when a's is empty. */
  prefix: string[];
  /** Inside quotes a nested shell runs (`sh -c '...'`, `bash <<'EOF'`), which expands it from the environment. */
  nested: boolean;
  /** Bash evaluates the value as arithmetic, here or in a nested shell. */
  arith: boolean;
  /** What parses the expanded value as code (`sh -c`, `eval`, `ssh`, `bash <<`), or null. */
  code: string | null;
}

type Closer = 'root' | 'paren' | 'backtick' | 'arith' | 'bracket';
interface Cond {
  refs: ShellRef[];
  arith: boolean;
}
/** `word` counts what the current word holds; `lead` the refs among it while it holds nothing else; `cur` its first characters. */
interface BareFrame {
  kind: 'bare';
  closer: Closer;
  word: number;
  lead: string[];
  cur: string;
  cmd: string[];
  parens: number;
  cond: Cond | null;
  /** The next word is a redirection's target, or a here-string (`<<<`), not an argument. */
  redirect: boolean;
  here: boolean;
  /** Refs expanded by this command, by the earlier commands of its pipeline, and in its here-string: code if it is a shell reading stdin. */
  own: ShellRef[];
  piped: ShellRef[];
  hereRefs: ShellRef[];
  /** Inside `a=( ... )`, where `[...]=` subscripts are arithmetic. */
  compound: boolean;
  /** The current word holds quotes (maybe empty ones): it has started, so a `#` is no comment. */
  started: boolean;
  /** Here-docs of this command, and of the earlier commands of its pipeline: code if a later one runs stdin. */
  docs: PendingDoc[];
  pipedDocs: PendingDoc[];
  /** A process substitution `<(...)`: what it prints is a file the enclosing command reads. */
  procsub: boolean;
  /**
   * The stdin reader among the commands just ended, while only keywords have
   * followed (`{ bash; }`, `( bash )`, `do bash -s; done`): a here-string or
   * here-doc on the group is its stdin.
   */
  reader: string | null;
}
interface ParamFrame {
  kind: 'param';
  text: string;
  depth: number;
  inDouble: boolean;
}
interface NestedBody {
  body: string;
  refs: ShellRef[];
}
interface SingleFrame extends NestedBody {
  kind: 'single';
  nested: boolean;
}
interface DocFrame extends NestedBody {
  kind: 'heredoc';
  delim: string;
  quoted: boolean;
  strip: boolean;
  line: string;
  clean: boolean;
  shell: string | null;
  parser: string | null;
}
type Frame = BareFrame | ParamFrame | SingleFrame | DocFrame | { kind: 'double' | 'ansi' | 'comment' };

interface PendingDoc {
  delim: string;
  quoted: boolean;
  strip: boolean;
  shell: string | null;
  parser: string | null;
}

const SEPARATORS = new Set([' ', '\t', ';', '&', '|', '(', ')', '<', '>']);
const ENDS_COMMAND = new Set([';', '&', '|', '(', ')']);
const SHELL_BEFORE_DOC = /(?:^|[\s/|;&])((?:ba|da|k|z)?sh)(?:\s+-\w+)*\s*$/;
/** Only a word's start decides anything here; a 4 MB word is not kept whole. */
const CUR_MAX = 256;
const SUBSCRIPT = /^[A-Za-z_]\w*\[[^\]]*$/;
const ASSIGNMENT = /^([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=/;
const PARAM_ARITH = /^[!#]?[A-Za-z_]\w*\[[^\]]*$|^(?:[A-Za-z_]\w*|[@*#?$!0-9])(?:\[[^\]]*\])?:(?![-=?+])/;

const bareFrame = (closer: Closer): BareFrame => ({
  kind: 'bare',
  closer,
  word: 0,
  lead: [],
  cur: '',
  cmd: [],
  parens: 0,
  cond: null,
  redirect: false,
  here: false,
  own: [],
  piped: [],
  hereRefs: [],
  compound: false,
  started: false,
  docs: [],
  pipedDocs: [],
  procsub: false,
  reader: null,
});
/** Text for a nested scan: a literal `${` must stay literal there. */
const bodyText = (body: string, c: string) => (c === '{' && body.endsWith('$') ? '${' : c);

/** Walks a template's text and reports where every `${name}` lands. */
export function shellRefs(src: string): ShellRef[] {
  const refs: ShellRef[] = [];
  const root = bareFrame('root');
  const stack: Frame[] = [root];
  const pending: PendingDoc[] = [];
  const ints = new Set<string>(); // names declared -i: assigning to them is arithmetic
  let line = ''; // the current line's bare text, for "sh <<" detection
  const top = (): Frame => stack.at(-1) ?? root;
  const bare = (): BareFrame => [...stack].reverse().find((f): f is BareFrame => f.kind === 'bare') ?? root;
  const words = (b: BareFrame) => b.cmd;

  const newWord = (f: BareFrame) => {
    f.word = 0;
    f.lead = [];
    f.cur = '';
    f.started = false;
  };
  const namerefs = new Set<string>(); // names declared -n: assigning to them names a variable
  const closeSegment = (f: BareFrame) => {
    if (f.cond?.arith) for (const r of f.cond.refs) r.arith = true;
    if (f.cond) f.cond = { refs: [], arith: false };
  };
  const endWord = (f: BareFrame) => {
    if (f.word === 0 && f.cur === '' && !f.started) return; // quoted text counts in cur only: '' before a value still starts the word
    const w = f.cur;
    if (f.redirect || f.here) {
      f.redirect = false;
      f.here = false;
      newWord(f);
      return;
    }
    if (f.cond) {
      if (w === ']]') {
        closeSegment(f);
        f.cond = null;
      } else if (ARITH_TESTS.has(w)) {
        f.cond.arith = true;
      }
    } else if (f.cmd.length === 0 && w === '[[') f.cond = { refs: [], arith: false };
    const assignment = f.cmd.length === 0 && ASSIGNMENT.test(w);
    if (!(f.cmd.length === 0 && KEYWORDS.has(w)) && !assignment) f.cmd.push(w);
    if (declaresInt(f.cmd) && f.cmd.length > 1 && !w.startsWith('-')) {
      const m = /^[A-Za-z_]\w*/.exec(w);
      if (m) ints.add(m[0]);
    }
    if (declaresNameref(f.cmd) && f.cmd.length > 1 && !w.startsWith('-')) {
      const m = /^[A-Za-z_]\w*/.exec(w);
      if (m) namerefs.add(m[0]);
    }
    newWord(f);
  };
  const endCommand = (f: BareFrame, pipe = false) => {
    if (f.cond) return;
    // A command of keywords only (`}`, `)`, `done`) passes on what the group's commands read.
    const sh = f.cmd.length ? readsStdin(f.cmd) : f.reader;
    if (f.cmd.length) f.reader = sh;
    if (sh) {
      for (const r of f.piped) r.code ??= `| ${sh}`;
      for (const r of f.hereRefs) r.code ??= `${sh} <<<`;
      for (const d of [...f.docs, ...f.pipedDocs]) d.parser ??= sh;
    }
    f.piped = pipe ? [...f.piped, ...f.own] : [];
    f.pipedDocs = pipe ? [...f.pipedDocs, ...f.docs] : [];
    f.cmd = [];
    f.own = [];
    f.hereRefs = [];
    f.docs = [];
    f.redirect = false;
    f.here = false;
    f.compound = false;
  };
  /** Digits just before a redirection (2>&1, 0<<<, 3<<EOF) name a descriptor: no argument. */
  const isFd = (f: BareFrame) => /^\d+$/.test(f.cur);
  const endBeforeRedirect = (f: BareFrame) => (isFd(f) ? newWord(f) : endWord(f));
  const addChar = (f: BareFrame, c: string) => {
    f.word++;
    if (f.cur.length < CUR_MAX) f.cur += c;
  };
  /** A frame it pushed has ended: what it expanded to is part of the enclosing word. */
  const popInto = () => {
    const f = stack.pop();
    if (f?.kind === 'single' && f.nested) rescan(f);
    // Quotes add only what they hold (counted as it came); an expansion adds its output. A here-doc's lines are no word.
    // An expansion's output may be any text: a command named by one ($(echo sh), ${SHELL}) may be any shell.
    if ((f?.kind === 'bare' || f?.kind === 'param') && top().kind !== 'heredoc') {
      const b = bare();
      b.word++;
      if (b.cur.length < CUR_MAX) b.cur += '$';
    }
  };
  const rescan = (f: NestedBody) => {
    const inner = shellRefs(f.body);
    f.refs.forEach((r, k) => {
      const s = inner[k];
      if (s?.arith) r.arith = true;
      if (s?.code && !r.code) r.code = s.code;
    });
  };
  const pushDoc = () => {
    const d = pending.shift();
    if (d)
      stack.push({
        kind: 'heredoc',
        delim: d.delim,
        quoted: d.quoted,
        strip: d.strip,
        line: '',
        clean: true,
        shell: d.shell,
        parser: d.parser,
        body: '',
        refs: [],
      });
  };
  /** `$((`, `$[`, `$(`, `${`, backticks: the openings that work in bare text and inside "...". */
  const opening = (text: string, i: number, inDouble: boolean): number | null => {
    const c = text.charAt(i);
    const next = text[i + 1];
    if (c === '$' && next === '(' && text[i + 2] === '(') {
      stack.push(bareFrame('arith'));
      return i + 3;
    }
    if (c === '$' && next === '[') {
      stack.push(bareFrame('bracket'));
      return i + 2;
    }
    if (c === '$' && next === '(') {
      stack.push(bareFrame('paren'));
      return i + 2;
    }
    if (c === '$' && next === '{') {
      stack.push({ kind: 'param', text: '', depth: 0, inDouble });
      return i + 2;
    }
    if (c === '`') {
      stack.push(bareFrame('backtick'));
      return i + 1;
    }
    return null;
  };

  const step = (text: string, i: number): number => {
    const f = top();
    const c = text.charAt(i); // i < text.length: the caller's loop bound
    const next = text[i + 1];
    if (f.kind === 'heredoc') {
      if (c === '\n') {
        const body = f.strip ? f.line.replace(/^\t+/, '') : f.line;
        if (f.clean && body === f.delim) {
          stack.pop();
          if (f.quoted && f.shell) rescan(f);
        } else {
          f.line = '';
          f.clean = true;
          f.body += c;
        }
        if (top().kind !== 'heredoc' && pending.length) pushDoc();
        return i + 1;
      }
      if (!f.quoted && c === '\\') {
        f.line += c + (next ?? '');
        return i + 2;
      }
      if (!f.quoted) {
        const j = c === '$' || c === '`' ? opening(text, i, true) : null;
        if (j !== null) {
          f.clean = false;
          return j;
        }
      }
      f.line += c;
      f.body += bodyText(f.body, c);
      return i + 1;
    }
    if (f.kind === 'comment') {
      if (c === '\n') {
        stack.pop();
        return i;
      }
      return i + 1;
    }
    if (f.kind === 'single') {
      if (c === "'") {
        popInto();
        return i + 1;
      }
      f.body += bodyText(f.body, c);
      const b = bare();
      if (b.cur.length < CUR_MAX) b.cur += c;
      return i + 1;
    }
    if (f.kind === 'ansi') {
      // Its text counts in the word as bash decodes it: $'sh' -c is sh -c.
      const b = bare();
      if (c === '\\') {
        const m = /^(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|c.|.)/s.exec(text.slice(i + 1));
        const e = m?.[0] ?? '';
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          a: '\x07',
          b: '\b',
          e: '\x1b',
          E: '\x1b',
          f: '\f',
          v: '\v',
        };
        const ch = /^[xuU]/.test(e)
          ? String.fromCodePoint(parseInt(e.slice(1), 16))
          : /^[0-7]/.test(e)
            ? String.fromCharCode(parseInt(e, 8) & 0xff)
            : e.startsWith('c') && e.length === 2
              ? String.fromCharCode(e.charCodeAt(1) & 0x1f)
              : (simple[e] ?? e);
        if (b.cur.length < CUR_MAX) b.cur += ch;
        return i + 1 + e.length;
      }
      if (c === "'") {
        popInto();
        return i + 1;
      }
      if (b.cur.length < CUR_MAX) b.cur += c;
      return i + 1;
    }
    if (f.kind === 'double') {
      if (c === '\\' && next === '\n') return i + 2; // a line continuation: nothing
      if (c === '\\') {
        addChar(bare(), next ?? '');
        return i + 2;
      }
      if (c === '"') {
        popInto();
        return i + 1;
      }
      const j = c === '$' || c === '`' ? opening(text, i, true) : null;
      if (j !== null) return j;
      addChar(bare(), c);
      return i + 1;
    }
    if (f.kind === 'param') {
      if (c === '}') {
        if (f.depth === 0) popInto();
        else {
          f.depth--;
          f.text += c;
        }
        return i + 1;
      }
      if (c === '{') {
        f.depth++;
        f.text += c;
        return i + 1;
      }
      if (c === '\\') {
        f.text += c + (next ?? '');
        return i + 2;
      }
      if (c === '"') {
        stack.push({ kind: 'double' });
        return i + 1;
      }
      if (c === "'" && !f.inDouble) {
        stack.push({ kind: 'single', nested: false, body: '', refs: [] });
        return i + 1;
      }
      const j = c === '$' || c === '`' ? opening(text, i, f.inDouble) : null;
      if (j !== null) return j;
      f.text += c;
      return i + 1;
    }
    return bareStep(f as BareFrame, text, i); // every other kind returned above
  };

  const bareStep = (bf: BareFrame, text: string, i: number): number => {
    const c = text.charAt(i);
    const next = text[i + 1];
    line += c;
    if (line.length > 2 * CUR_MAX) line = line.slice(-CUR_MAX); // only its end is read
    if (c === '\\' && next === '\n') {
      line = line.slice(0, -1);
      return i + 2;
    } // a line continuation joins the word: s\<newline>h is sh
    if (c === '\\') {
      line += next ?? '';
      addChar(bf, next ?? '');
      return i + 2;
    }
    if (c === "'") {
      bf.started = true;
      stack.push({ kind: 'single', nested: codeOperand(words(bf))?.shell ?? false, body: '', refs: [] });
      return i + 1;
    }
    if (c === '"') {
      bf.started = true;
      stack.push({ kind: 'double' });
      return i + 1;
    }
    if (c === '$' && next === "'") {
      bf.started = true;
      stack.push({ kind: 'ansi' });
      return i + 2;
    }
    if (c === '`' && bf.closer === 'backtick') {
      popInto();
      return i + 1;
    }
    const j = c === '$' || c === '`' ? opening(text, i, false) : null;
    if (j !== null) return j;
    if (bf.closer === 'arith' || bf.closer === 'bracket') {
      if (c === '(') bf.parens++;
      if (c === ')' && bf.closer === 'arith') {
        if (bf.parens === 0 && next === ')') {
          popInto();
          return i + 2;
        }
        bf.parens--;
      }
      if (c === ']' && bf.closer === 'bracket' && bf.parens === 0) {
        popInto();
        return i + 1;
      }
      return i + 1;
    }
    if (c === '#' && bf.word === 0 && !bf.started) {
      stack.push({ kind: 'comment' });
      return i + 1;
    }
    // Inside an assignment's subscript (a[1<<2]=3) < and > are arithmetic, not redirections.
    if ((c === '<' || c === '>') && bf.cmd.length === 0 && SUBSCRIPT.test(bf.cur)) {
      addChar(bf, c);
      return i + 1;
    }
    if ((c === '<' || c === '>') && next === '(' && !bf.cond) {
      endWord(bf);
      const ps = bareFrame('paren');
      ps.procsub = c === '<';
      stack.push(ps);
      return i + 2;
    }
    if (c === '<' && next === '<' && text[i + 2] !== '<') {
      if (isFd(bf)) newWord(bf);
      return hereDocOperator(text, i);
    }
    if (!bf.cond && c === '<' && next === '<') {
      endBeforeRedirect(bf);
      bf.here = true;
      return i + 3;
    }
    if (!bf.cond && (c === '<' || c === '>' || (c === '&' && next === '>'))) {
      endBeforeRedirect(bf);
      bf.redirect = true;
      let j = i + 1;
      while (text[j] === '>' || text[j] === '&' || text[j] === '|') j++;
      return j;
    }
    if (!bf.cond && c === '|' && next !== '|') {
      endWord(bf);
      endCommand(bf, true);
      return i + (next === '&' ? 2 : 1);
    }
    if (!bf.cond && (c === '|' || c === '&') && next === c) {
      endWord(bf);
      endCommand(bf);
      return i + 2;
    }
    if (c === '\n') {
      endWord(bf);
      endCommand(bf);
      line = '';
      if (pending.length) pushDoc();
      return i + 1;
    }
    if (
      c === '(' &&
      next === '(' &&
      bf.word === 0 &&
      (bf.cmd.length === 0 || (bf.cmd.length === 1 && bf.cmd[0] === 'for'))
    ) {
      stack.push(bareFrame('arith'));
      return i + 2;
    }
    if (c === ')' && bf.parens === 0 && bf.closer === 'paren') {
      endWord(bf);
      endCommand(bf);
      popInto();
      return i + 1;
    }
    if (c === '(' && /^[A-Za-z_]\w*(\[[^\]]*\])?\+?=$/.test(bf.cur)) {
      endWord(bf);
      bf.compound = true;
      bf.parens++;
      return i + 1;
    }
    if (c === ')') bf.compound = false;
    if (c === '(') bf.parens++;
    if (c === ')') bf.parens--;
    if (bf.cond && (c === '&' || c === '|' || c === '(' || c === ')')) {
      endWord(bf);
      closeSegment(bf);
      return i + 1;
    }
    if (SEPARATORS.has(c)) {
      endWord(bf);
      if (ENDS_COMMAND.has(c)) endCommand(bf);
      return i + 1;
    }
    addChar(bf, c);
    return i + 1;
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
    const shell = SHELL_BEFORE_DOC.exec(before)?.[1] ?? null;
    const doc: PendingDoc = {
      delim,
      quoted: m[1] !== undefined || m[2] !== undefined || m[0].startsWith('\\'),
      strip,
      shell,
      parser: null,
    };
    pending.push(doc);
    bare().docs.push(doc);
    line += text.slice(i + 1, j + m[0].length);
    endWord(bare());
    return j + m[0].length;
  };

  /** The parser, if any, that reads what this ref expands to as code: the nearest enclosing command that takes code. */
  const codeAt = (): string | null => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const fr = stack[k]!;
      if (fr.kind === 'single' || fr.kind === 'ansi' || fr.kind === 'comment') return null;
      if (fr.kind === 'heredoc') return !fr.quoted && (fr.shell ?? fr.parser) ? `${fr.shell ?? fr.parser} <<` : null;
      if (fr.kind !== 'bare') continue;
      if (quotesForShell(fr.cmd)) return null;
      const op = codeOperand(fr.cmd);
      if (op) return op.by;
      const cv = commandValue(fr.cmd, fr.cur);
      if (cv) return cv;
      if (fr.procsub) {
        const parent = stack
          .slice(0, k)
          .reverse()
          .find((x): x is BareFrame => x.kind === 'bare');
        if (parent && runsFile(parent.cmd)) return `${parent.cmd.join(' ')} <(...)`;
      }
    }
    return null;
  };
  /** The commands whose output this ref's value may reach: the enclosing ones up to a literal quote. */
  const feeding = (): BareFrame[] => {
    const out: BareFrame[] = [];
    for (let k = stack.length - 1; k >= 0; k--) {
      const fr = stack[k]!;
      if (fr.kind === 'single' || fr.kind === 'ansi' || fr.kind === 'comment' || fr.kind === 'heredoc') break;
      if (fr.kind === 'bare') out.push(fr);
    }
    return out;
  };
  /** Inside `$((...))` (or fed to one through "..." or `$(...)`). */
  const inArithFrame = (): boolean => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const fr = stack[k]!;
      if (fr.kind === 'single' || fr.kind === 'ansi' || fr.kind === 'comment' || fr.kind === 'heredoc') return false;
      if (fr.kind === 'bare' && (fr.closer === 'arith' || fr.closer === 'bracket')) return true;
    }
    return false;
  };

  for (const p of parseTemplate(src)) {
    if ('text' in p) {
      for (let i = 0; i < p.text.length;) i = step(p.text, i);
      continue;
    }
    const f = top();
    const b = bare();
    const arithFrame = f.kind === 'bare' && (f.closer === 'arith' || f.closer === 'bracket');
    const context = arithFrame
      ? ShellContext.Arithmetic
      : f.kind === 'bare'
        ? ShellContext.Bare
        : f.kind === 'param'
          ? f.inDouble
            ? ShellContext.Double
            : ShellContext.Bare
          : f.kind === 'heredoc'
            ? f.quoted
              ? ShellContext.QuotedHereDoc
              : ShellContext.HereDoc
            : (
                {
                  double: ShellContext.Double,
                  single: ShellContext.Single,
                  ansi: ShellContext.Ansi,
                  comment: ShellContext.Comment,
                } as const
              )[f.kind];
    const expands = f.kind === 'bare' || f.kind === 'double' || f.kind === 'param';
    const assigned = ASSIGNMENT.exec(b.cur)?.[1];
    const arith =
      inArithFrame() ||
      (expands && f.kind !== 'param' && namesVariable(b)) ||
      (f.kind === 'param' && PARAM_ARITH.test(f.text)) ||
      (expands &&
        f.kind !== 'param' &&
        ((SUBSCRIPT.test(b.cur) && assigns(b.cmd)) ||
          b.cmd[0] === 'let' ||
          (b.cond?.arith ?? false) ||
          (assigned !== undefined &&
            (ints.has(assigned) || declaresInt(b.cmd) || (namerefs.has(assigned) && b.cmd.length === 0)))));
    // Only unquoted word starts: "${x}" is the template author saying "this is data" (a PEM key starts with -----).
    const wordStart = f.kind === 'bare' && !arithFrame && !b.cond && b.word === b.lead.length;
    const code = expands || f.kind === 'heredoc' ? codeAt() : null;
    const ref: ShellRef = {
      name: p.name,
      at: p.at,
      context,
      wordStart,
      prefix: wordStart ? [...b.lead] : [],
      nested: f.kind === 'single' ? f.nested : f.kind === 'heredoc' ? f.shell !== null : false,
      arith,
      code,
    };
    refs.push(ref);
    if (b.cond && expands) b.cond.refs.push(ref);
    if (b.here && expands) b.hereRefs.push(ref);
    if (expands) for (const fr of feeding()) fr.own.push(ref);
    if (f.kind === 'single' || f.kind === 'heredoc') {
      f.body += `\${${p.name}}`;
      f.refs.push(ref);
    }
    if (f.kind === 'heredoc') f.clean = false;
    else if (f.kind === 'bare' || f.kind === 'double') {
      if (b.word === b.lead.length) b.lead.push(p.name);
      addChar(b, REF_MARK);
      if (f.kind === 'bare') line += 'x';
    }
  }
  for (const f of stack)
    if (f.kind === 'bare') {
      endWord(f);
      closeSegment(f);
      f.cond = null;
      endCommand(f);
    }
  return refs;
}

/** Where `name[...]` is an assignment (or names a variable), so its subscript is arithmetic. */
function assigns(cmd: string[]): boolean {
  return cmd.length === 0 || DECLARE.has(cmd[0]!) || cmd[0] === 'unset' || cmd[0] === 'read';
}

/** `declare -i`, `local -ri`, ...: assignments in this command are arithmetic. */
function declaresInt(cmd: string[]): boolean {
  return DECLARE.has(cmd[0] ?? '') && cmd.some((w) => /^-[A-Za-z]*i/.test(w));
}

/** `declare -n r`: assigning to r names a variable. */
function declaresNameref(cmd: string[]): boolean {
  return DECLARE.has(cmd[0] ?? '') && cmd.some((w) => /^-[A-Za-z]*n/.test(w));
}

/** mapfile options that take a value. */
const MAPFILE_VALUE = new Set(['-d', '-n', '-O', '-s', '-u', '-C', '-c']);

/** Read options that take a value (the value is no variable name). */
const READ_VALUE = new Set(['-p', '-d', '-t', '-n', '-N', '-u', '-i']);

/**
 * The value becomes a variable's name, whose subscript bash evaluates as
 * arithmetic: `printf -v`, `read`, `[[ -v ]]`/`test -v`, an argument of
 * declare/typeset/local/readonly, a nameref (`declare -n r=`), a `[i]=` in `a=(...)`.
 */
function namesVariable(b: BareFrame): boolean {
  const prev = b.cmd.at(-1);
  const start = b.word === b.lead.length;
  if (b.compound && /^\[[^\]]*$/.test(b.cur)) return true;
  if (b.cmd[0] === 'printf' && (prev === '-v' || b.cur === '-v')) return true;
  if (b.cmd[0] === 'unset' && (start || /^-[fvn]*$/.test(b.cur)) && b.cmd.length > 0) return true;
  if (b.cmd[0] === 'wait' && (prev === '-p' || b.cur === '-p')) return true;
  if ((b.cmd[0] === 'mapfile' || b.cmd[0] === 'readarray') && start && !MAPFILE_VALUE.has(prev ?? ''))
    return b.cmd.length > 0;
  if (b.cmd[0] === 'getopts' && b.cmd.length === 2) return true;
  if (b.cmd[0] === 'read' && start && !READ_VALUE.has(prev ?? '')) return b.cmd.length > 0;
  if (prev === '-v' && (b.cond !== null || b.cmd[0] === 'test' || b.cmd[0] === '[')) return true;
  if (DECLARE.has(b.cmd[0] ?? '') && b.cmd[0] !== 'export') {
    if (start) return true;
    if (b.cmd.some((w) => /^-[A-Za-z]*n/.test(w)) && ASSIGNMENT.test(b.cur)) return true;
  }
  return false;
}
