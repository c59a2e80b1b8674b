/**
 * Commands that parse one of their arguments as code: a value expanded into
 * that argument by the outer shell is code there, whatever its quoting here.
 * This is the list migrate knows (README, "Interpolation"); a program missing
 * from it is the template author's to feed values as separate arguments.
 */

/** How the command takes its code; `shell` ones run a shell that inherits our environment. */
interface Parser { takes: 'option' | 'all' | 'first' | 'program' | 'ssh' | 'sed'; options?: string[]; shell?: boolean }

const SHELL: Parser = { takes: 'option', options: ['-c'], shell: true };
const PARSERS: Record<string, Parser> = {
  sh: SHELL, bash: SHELL, dash: SHELL, ksh: SHELL, mksh: SHELL, zsh: SHELL, ash: SHELL, fish: SHELL,
  su: { takes: 'option', options: ['-c', '--command'], shell: true },
  runuser: { takes: 'option', options: ['-c', '--command'], shell: true },
  eval: { takes: 'all', shell: true },
  trap: { takes: 'first', shell: true },
  watch: { takes: 'all', shell: true },
  ssh: { takes: 'ssh' },
  python: { takes: 'option', options: ['-c'] }, python2: { takes: 'option', options: ['-c'] }, python3: { takes: 'option', options: ['-c'] },
  perl: { takes: 'option', options: ['-e', '-E'] }, ruby: { takes: 'option', options: ['-e'] },
  node: { takes: 'option', options: ['-e', '-p', '--eval', '--print'] }, nodejs: { takes: 'option', options: ['-e', '-p', '--eval', '--print'] },
  php: { takes: 'option', options: ['-r'] },
  psql: { takes: 'option', options: ['-c', '--command'] }, mysql: { takes: 'option', options: ['-e', '--execute'] },
  awk: { takes: 'program' }, gawk: { takes: 'program' }, mawk: { takes: 'program' }, nawk: { takes: 'program' },
  sed: { takes: 'sed' }, gsed: { takes: 'sed' },
};

/** ssh options that take a value as the next word. */
const SSH_VALUE = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''));
/** awk options that take a value as the next word. */
const AWK_VALUE = new Set(['-f', '-v', '-F', '--file', '--assign', '--field-separator']);

/** How the scanner spells a `${name}` inside a word. */
export const REF_MARK = '\u0001';

/** How far from the command's start (and from the parser) a word is looked for. */
const NEAR = 64;

const base = (w: string) => w.slice(w.lastIndexOf('/') + 1);

/** Whether `word` is an option cluster holding `opt` (`-c` in `-ec`, `-lc`), or `opt` itself when it is long. */
function hasOption(word: string, opt: string): boolean {
  if (opt.startsWith('--')) return word === opt;
  return /^-[A-Za-z]+$/.test(word) && word.includes(opt.slice(1));
}

/** Index of the first operand after `from`, skipping options (and the values of those in `takesValue`). */
function firstOperand(words: string[], from: number, takesValue: (w: string) => boolean): number {
  let j = from;
  while (j < words.length && words[j]!.startsWith('-') && words[j] !== '-') j += words[j] === '--' ? 1 : takesValue(words[j]!) ? 2 : 1;
  return j;
}

export interface CodeOperand {
  /** What parses it, as a message names it (`sh -c`, `eval`, `ssh`). */
  by: string;
  /** A shell that inherits this environment: single quotes hand it the reference, not the value. */
  shell: boolean;
}

/**
 * Whether the word after `words` (the simple command so far) is code for a
 * parser somewhere in it (`sudo -u app bash -c "<here>"`, `eval <here>`).
 */
export function codeOperand(words: string[]): CodeOperand | null {
  const pos = words.length;
  // Called for every reference: a command of 100,000 words must not make this quadratic.
  for (let i = 0; i < Math.min(pos, NEAR); i++) {
    const name = base(words[i]!);
    // A program named by an expansion ($SHELL -c, ${shell} -c) may be any shell.
    const p = PARSERS[name] ?? (words[i]!.startsWith('$') || words[i]!.startsWith(REF_MARK) ? SHELL : undefined);
    if (!p) continue;
    const hit = (by: string) => ({ by: by.split(REF_MARK).join('${...}'), shell: p.shell ?? false });
    if (p.takes === 'all') return hit(name);
    if (p.takes === 'ssh') {
      const dest = firstOperand(words.slice(0, i + NEAR), i + 1, (w) => /^-[A-Za-z]+$/.test(w) && SSH_VALUE.has(w.at(-1)!));
      if (pos > dest) return hit('ssh');
    }
    if (pos - i > NEAR) continue;
    if (p.takes === 'first' && firstOperand(words, i + 1, () => false) === pos) return hit(name);
    if (p.takes === 'option') {
      const at = words[pos - 1] === '--' ? pos - 2 : pos - 1; // sh -c -- '...'
      const opt = at > i ? p.options!.find((o) => hasOption(words[at]!, o)) : undefined;
      if (opt) return hit(`${name} ${opt}`);
    }
    if (p.takes === 'program' && !words.slice(i + 1).some((w) => w === '-f' || w === '--file')) {
      if (firstOperand(words, i + 1, (w) => AWK_VALUE.has(w)) === pos) return hit(name);
    }
    if (p.takes === 'sed') {
      const scripts = words.slice(i + 1).some((w) => w === '-e' || w === '--expression' || w === '-f' || w === '--file');
      if (scripts ? words[pos - 1] === '-e' || words[pos - 1] === '--expression' : firstOperand(words, i + 1, () => false) === pos) return hit(name);
    }
  }
  return null;
}

/** `printf %q ...` quotes what it prints for a shell: its output is data in code. */
export function quotesForShell(words: string[]): boolean {
  return words[0] === 'printf' && words.includes('%q');
}

/** Words that start a command without being one (the command is the next word). */
export const KEYWORDS = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'time', 'fi', 'done']);
/** Builtins whose `-i` makes a variable's assignments arithmetic. */
export const DECLARE = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
export const ARITH_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

const STDIN_SHELLS = new Set(['sh', 'bash', 'dash', 'ksh', 'mksh', 'zsh', 'ash']);

/** The shell, if this command is one reading its script from stdin (`| bash`, `bash -s`, `<<< ...`, `ssh host` with no command). */
export function readsStdin(words: string[]): string | null {
  for (let i = 0; i < Math.min(words.length, NEAR); i++) {
    const name = base(words[i]!);
    if (name === 'ssh') {
      const dest = firstOperand(words, i + 1, (w) => /^-[A-Za-z]+$/.test(w) && SSH_VALUE.has(w.at(-1)!));
      if (dest === words.length - 1) return 'ssh';
    }
    if (!STDIN_SHELLS.has(name)) continue;
    const rest = words.slice(i + 1);
    if (rest.some((w) => /^-[A-Za-z]*s[A-Za-z]*$/.test(w))) return name;
    if (rest.every((w) => w.startsWith('-') && !/^-[A-Za-z]*c/.test(w))) return name;
  }
  return null;
}
