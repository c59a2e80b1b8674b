/**
 * Commands that parse one of their arguments as code: a value expanded into
 * that argument by the outer shell is code there, whatever its quoting here.
 * This is the list migrate knows (README, "Interpolation"); a program missing
 * from it is the template author's to feed values as separate arguments.
 */

/** How the command takes its code; `shell` ones run a shell that inherits our environment. */
interface Parser {
  takes: 'option' | 'all' | 'first' | 'program' | 'ssh' | 'sed';
  options?: string[];
  shell?: boolean;
}

const SHELL: Parser = { takes: 'option', options: ['-c'], shell: true };
/** A table's entry for a command word: its own keys only (a command named `constructor` is no entry). */
const own = <T>(table: Record<string, T>, name: string): T | undefined =>
  Object.hasOwn(table, name) ? table[name] : undefined;

const PARSERS: Record<string, Parser> = {
  sh: SHELL,
  bash: SHELL,
  dash: SHELL,
  ksh: SHELL,
  mksh: SHELL,
  zsh: SHELL,
  ash: SHELL,
  fish: SHELL,
  su: { takes: 'option', options: ['-c', '--command'], shell: true },
  runuser: { takes: 'option', options: ['-c', '--command'], shell: true },
  eval: { takes: 'all', shell: true },
  trap: { takes: 'first', shell: true },
  watch: { takes: 'all', shell: true },
  ssh: { takes: 'ssh' },
  python: { takes: 'option', options: ['-c'] },
  python2: { takes: 'option', options: ['-c'] },
  python3: { takes: 'option', options: ['-c'] },
  pypy: { takes: 'option', options: ['-c'] },
  perl: { takes: 'option', options: ['-e', '-E'] },
  ruby: { takes: 'option', options: ['-e'] },
  node: { takes: 'option', options: ['-e', '-p', '--eval', '--print'] },
  nodejs: { takes: 'option', options: ['-e', '-p', '--eval', '--print'] },
  php: { takes: 'option', options: ['-r'] },
  psql: { takes: 'option', options: ['-c', '--command'] },
  mysql: { takes: 'option', options: ['-e', '--execute'] },
  awk: { takes: 'program' },
  gawk: { takes: 'program' },
  mawk: { takes: 'program' },
  nawk: { takes: 'program' },
  sed: { takes: 'sed' },
  gsed: { takes: 'sed' },
  // env -S "sh -c ..." splits its argument into a command line.
  env: { takes: 'option', options: ['-S', '--split-string'] },
};

/** ssh options that take a value as the next word. */
const SSH_VALUE = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''));
/** awk options that take a value as the next word. */
const AWK_VALUE = new Set(['-f', '-v', '-F', '--file', '--assign', '--field-separator']);

/** How the scanner spells a `${name}` inside a word. */
export const REF_MARK = '\u0001';

/** How far from the command's start (and from the parser) a word is looked for. */
const NEAR = 64;

/** `env`, its options and NAME=value words before the command: skipped, however many (linear: resumed per command). */
const leads = new WeakMap<string[], { seen: number; start: number; done: boolean; env: boolean }>();
const ENV_VALUE = new Set(['-u', '--unset', '-C', '--chdir']);
export function commandStart(words: string[]): number {
  let s = leads.get(words);
  if (!s) {
    s = { seen: 0, start: 0, done: false, env: false };
    leads.set(words, s);
  }
  while (!s.done && s.seen < words.length) {
    const w = words[s.seen]!;
    if (/^[A-Za-z_]\w*=/.test(w)) {
      s.seen++;
      s.start = s.seen;
      continue;
    }
    if (base(w) === 'env' && !s.env) {
      s.env = true;
      s.seen++;
      s.start = s.seen;
      continue;
    }
    if (
      s.env &&
      w.startsWith('-') &&
      !/^-[A-Za-z]*S/.test(w) &&
      w !== '--split-string' &&
      !w.startsWith('--split-string=')
    ) {
      s.seen += ENV_VALUE.has(w) ? 2 : 1;
      s.start = Math.min(s.seen, words.length);
      continue;
    }
    s.done = true;
  }
  // env -S ...: env itself is the parser.
  return s.env && s.start > 0 && words[s.start] !== undefined && /^-[A-Za-z]*S|^--split-string/.test(words[s.start]!)
    ? s.start - 1
    : s.start;
}

function base(w: string): string {
  return w.slice(w.lastIndexOf('/') + 1);
}

/** Whether `word` is an option cluster holding `opt` (`-c` in `-ec`, `-lc`), or `opt` itself when it is long. */
function hasOption(word: string, opt: string): boolean {
  if (opt.startsWith('--')) return word === opt;
  return /^-[A-Za-z]+$/.test(word) && word.includes(opt.slice(1));
}

/** Index of the first operand after `from`, skipping options (and the values of those in `takesValue`). */
function firstOperand(words: string[], from: number, takesValue: (w: string) => boolean): number {
  let j = from;
  while (j < words.length && words[j]!.startsWith('-') && words[j] !== '-')
    j += words[j] === '--' ? 1 : takesValue(words[j]!) ? 2 : 1;
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
  const start = commandStart(words);
  for (let i = start; i < Math.min(pos, start + NEAR); i++) {
    const name = base(words[i]!);
    // A program named by an expansion ($SHELL -c, ${shell} -c) may be any shell.
    const p =
      own(PARSERS, name) ??
      own(PARSERS, unversioned(name)) ??
      (words[i]!.startsWith('$') || words[i]!.startsWith(REF_MARK) ? SHELL : undefined);
    if (!p) continue;
    const hit = (by: string) => ({ by: by.split(REF_MARK).join('${...}'), shell: p.shell ?? false });
    if (p.takes === 'all') return hit(name);
    if (p.takes === 'ssh') {
      const dest = firstOperand(
        words.slice(0, i + NEAR),
        i + 1,
        (w) => /^-[A-Za-z]+$/.test(w) && SSH_VALUE.has(w.at(-1)!),
      );
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
      const scripts = words
        .slice(i + 1)
        .some((w) => w === '-e' || w === '--expression' || w === '-f' || w === '--file');
      if (
        scripts
          ? words[pos - 1] === '-e' || words[pos - 1] === '--expression'
          : firstOperand(words, i + 1, () => false) === pos
      )
        return hit(name);
    }
  }
  return null;
}

/** `printf %q ...` quotes what it prints for a shell: its output is data in code. */
export function quotesForShell(words: string[]): boolean {
  return words[0] === 'printf' && words.includes('%q');
}

/** Words that start a command without being one (the command is the next word). */
export const KEYWORDS = new Set([
  'then',
  'do',
  'else',
  'elif',
  'if',
  'while',
  'until',
  '!',
  '{',
  '}',
  'time',
  'fi',
  'done',
]);
/** Builtins whose `-i` makes a variable's assignments arithmetic. */
export const DECLARE = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
export const ARITH_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

const STDIN_SHELLS = new Set([
  'sh',
  'bash',
  'rbash',
  'dash',
  'ksh',
  'mksh',
  'zsh',
  'ash',
  'yash',
  'posh',
  'fish',
  'csh',
  'tcsh',
]);
/** Programs that run stdin as code (SQL clients: psql's \\! runs a shell), unless given their code another way (these options). */
const STDIN_CODE: Record<string, string[] | 'file'> = {
  psql: ['-c', '--command'],
  mysql: ['-e', '--execute'],
  sqlite3: ['-cmd'],
  python: ['-c', '-m'],
  python2: ['-c', '-m'],
  python3: ['-c', '-m'],
  pypy: ['-c', '-m'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  node: ['-e', '-p', '--eval', '--print'],
  nodejs: ['-e', '-p', '--eval', '--print'],
  php: ['-r'],
  lua: ['-e'],
  Rscript: ['-e'],
  awk: 'file',
  gawk: 'file',
  mawk: 'file',
  nawk: 'file',
  sed: 'file',
  gsed: 'file',
};
/** Running a file as a script: `bash <(...)`, `source <(...)`; a process substitution in that place is code. */
export function runsFile(words: string[]): boolean {
  const start = commandStart(words);
  const name = base(words[start] ?? '');
  const rest = words.slice(start + 1);
  if (name === 'source' || name === '.') return rest.length === 0;
  if (STDIN_SHELLS.has(name)) return rest.every((w) => w.startsWith('-') && !/^-[A-Za-z]*c/.test(w));
  const code = own(STDIN_CODE, name);
  if (!code) return false;
  if (rest.at(-1) === '-f' || rest.at(-1) === '--file') return true;
  return (
    code !== 'file' &&
    !['psql', 'mysql', 'sqlite3'].includes(name) &&
    rest.every((w) => w.startsWith('-') && !code.includes(w))
  );
}

/** ssh options whose value a local shell runs (`-o ProxyCommand=...`). */
const SSH_COMMAND_OPTION = /^(?:-o\s*)?(?:ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*=?/i;
/** Variables whose value a program runs as a command (GIT_SSH_COMMAND="ssh -i ..."). */
const COMMAND_VARS =
  /^(?:GIT_SSH_COMMAND|GIT_SSH|GIT_PROXY_COMMAND|GIT_ASKPASS|SSH_ASKPASS|GIT_EDITOR|GIT_PAGER|GIT_EXTERNAL_DIFF|PAGER|EDITOR|VISUAL|MANPAGER|PSQL_PAGER|PSQL_EDITOR|SYSTEMD_PAGER|LESSOPEN|LESSCLOSE|BASH_ENV|ENV|PROMPT_COMMAND|RSYNC_RSH|CVS_RSH)=/;

/** A value in this word (its start so far: `cur`) is a command another program runs: ssh -o ProxyCommand=, GIT_SSH_COMMAND=. */
export function commandValue(words: string[], cur: string): string | null {
  const start = commandStart(words);
  const name = base(words[start] ?? '');
  if (name === 'ssh' || name === 'scp' || name === 'sftp') {
    if (/^-o/.test(cur) && SSH_COMMAND_OPTION.test(cur)) return 'ssh -o ProxyCommand';
    if (words.at(-1) === '-o' && SSH_COMMAND_OPTION.test(cur)) return 'ssh -o ProxyCommand';
  }
  const m = COMMAND_VARS.exec(cur);
  if (m && (start >= words.length || DECLARE.has(words[0]!) || base(words[0]!) === 'env')) return m[0].slice(0, -1);
  return null;
}

/**
 * A script operand that may be this process's stdin, or a descriptor a
 * here-string feeds: `-`, `/dev/stdin`, `/dev/fd/N`, `/proc/<any>/fd/N` in any
 * spelling (`//`, `/./`, `../`), or a word whose name is only known when it
 * runs (`$f`, a glob, a brace list).
 */
function stdinFile(w: string): boolean {
  if (w === '-') return true;
  if (/[$`*?[{]/.test(w) || w.includes(REF_MARK)) return true;
  const p = w.replace(/\/(?:\.?\/)+/g, '/');
  return /(?:^|\/)(?:stdin|fd\/\d+)$/.test(p);
}

/** Shell options that take the next word as their value. */
const SHELL_VALUE = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);
/** Interpreter options that take the next word as their value (python -W ignore, -X dev). */
const INTERPRETER_VALUE = new Set(['-W', '-X', '-Q', '-I', '-r', '-M', '-x', '--require', '--import', '--loader']);

/** A program name without its version (`python3.11`, `perl5.36`, `bash5`), for the tables. */
function unversioned(name: string): string {
  return name.replace(/(?<=[a-z])\d+(?:\.\d+)*$/, '');
}

/** Code in a `-c` argument that runs what it reads from stdin (`source /dev/stdin`, `eval "$(cat)"`). */
const RUNS_STDIN = /\b(?:eval|source)\b|(?:^|[;&|\s])\.\s|\/dev\/stdin|\/dev\/fd\/|\/proc\/[^/\s]+\/fd\//;

/** The shell, if this command is one reading its script from stdin (`| bash`, `bash -s`, `<<< ...`, `ssh host` with no command). */
export function readsStdin(words: string[]): string | null {
  const start = commandStart(words);
  for (let i = start; i < Math.min(words.length, start + NEAR); i++) {
    const name = base(words[i]!);
    const table = own(STDIN_CODE, name) ? name : unversioned(name);
    const code = own(STDIN_CODE, table);
    const rest = words.slice(i + 1);
    if (code) {
      if (code === 'file') {
        const file = (w: string, k: number) =>
          ((w === '-f' || w === '--file') && stdinFile(rest[k + 1] ?? '')) ||
          (/^-f./.test(w) && stdinFile(w.slice(2))) ||
          (w.startsWith('--file=') && stdinFile(w.slice(7)));
        if (rest.some(file)) return name;
        continue;
      }
      if (rest.some((w) => code.some((o) => hasOption(w, o) || w.startsWith(`${o}=`)))) continue; // the code is an argument (checked as such)
      if (table === 'psql' || table === 'mysql' || table === 'sqlite3') {
        if (rest.some((w, k) => (w === '-f' || w === '--file') && !stdinFile(rest[k + 1] ?? ''))) continue;
        return name;
      }
      // An interpreter runs its first operand; with none (or -), its program is stdin.
      const operand = rest[firstOperand(rest, 0, (w) => INTERPRETER_VALUE.has(w))];
      if (operand === undefined || stdinFile(operand)) return name;
      continue;
    }
    if (name === 'ssh') {
      const dest = firstOperand(words, i + 1, (w) => /^-[A-Za-z]+$/.test(w) && SSH_VALUE.has(w.at(-1)!));
      if (dest === words.length - 1) return 'ssh';
    }
    // `source /dev/stdin`, `. -- /dev/stdin`: stdin named as the file to run.
    if (name === 'source' || name === '.') {
      const file = rest[firstOperand(rest, 0, () => false)];
      if (file !== undefined && stdinFile(file)) return name;
      continue;
    }
    // A login or root shell with no command reads its commands from stdin.
    if (
      (name === 'sudo' || name === 'doas') &&
      rest.some((w) => /^-[A-Za-z]*[si]/.test(w) || w === '--shell' || w === '--login')
    ) {
      const values = new Set(['-u', '-g', '-C', '-h', '-p', '-U', '-r', '-t', '-D', '-R', '-T']);
      if (firstOperand(rest, 0, (w) => values.has(w)) >= rest.length) return name;
    }
    if ((name === 'su' || name === 'runuser') && !rest.some((w) => /^-[A-Za-z]*c/.test(w) || w === '--command'))
      return name;
    // `xargs -I{} sh -c '... {} ...'`: each input line is spliced into the code.
    if (name === 'xargs' && rest.some((w) => /^-[A-Za-z]*[Ii]/.test(w) || w.startsWith('--replace'))) {
      if (rest.some((w) => own(PARSERS, base(w)) !== undefined)) return 'xargs -I';
    }
    const shell = STDIN_SHELLS.has(name) ? name : STDIN_SHELLS.has(unversioned(name)) ? name : null;
    if (!shell) continue;
    const ci = rest.findIndex((w) => /^-[A-Za-z]*c/.test(w));
    // `sh -c '<code>'`: its stdin is data, unless the code runs what it reads.
    if (ci >= 0) {
      if (RUNS_STDIN.test(rest[ci + 1] ?? '')) return `${name} -c`;
      continue;
    }
    if (rest.some((w) => /^-[A-Za-z]*s[A-Za-z]*$/.test(w))) return name;
    const script = rest[firstOperand(rest, 0, (w) => SHELL_VALUE.has(w))];
    if (script === undefined || stdinFile(script)) return name;
  }
  return null;
}
