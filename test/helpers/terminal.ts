/**
 * A person at a real terminal: the CLI runs in a tmux pane (a real pty), keys
 * are typed with send-keys and the screen is read with capture-pane.
 * tmux missing is a loud failure, never a silent skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli.js';
import { waitFor } from './sandbox.js';

export function requireTmux(): void {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'tmux is not installed: the terminal tests need it (apt-get install -y tmux); they are not skipped',
    );
  }
}

// One tmux server (socket) per terminal: killing one never races with starting the next.
const sockets: string[] = [];
let session = 0;
const tmux = (socket: string, ...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

export function closeTerminals(): void {
  for (const s of sockets.splice(0)) {
    try {
      tmux(s, 'kill-server');
    } catch {
      /* already gone */
    }
  }
}

/** Close one terminal (its tmux server). */
function close(socket: string): void {
  const i = sockets.indexOf(socket);
  if (i >= 0) sockets.splice(i, 1);
  try {
    tmux(socket, 'kill-server');
  } catch {
    /* already gone */
  }
}

export interface Terminal {
  /** The visible screen. */
  screen(): string;
  /** Everything printed, scrollback included. */
  all(): string;
  /** The visible screen with its colours and attributes as escape sequences. */
  styled(): string;
  keys(...k: string[]): void;
  /** Waits for the command to exit and returns its exit code. */
  code(ms?: number): Promise<number>;
  /** Waits until the screen contains `text` (a helpful failure shows the screen). */
  see(text: string | RegExp, ms?: number): Promise<void>;
  close(): void;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the CLI in `dir` in a fresh tmux pane; the exit code lands in a file. `redirect` is shell (`> out.txt`). */
export function inTerminal(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { redirect?: string } = {},
): Terminal {
  requireTmux();
  const name = `s${++session}`;
  const socket = `migrate-test-${process.pid}-${session}`;
  sockets.push(socket);
  const codeFile = join(dir, `.exit-code-${name}`);
  rmSync(codeFile, { force: true });
  // NO_COLOR: '' means colour: the variable is removed, as on an operator's terminal.
  const colour = env.NO_COLOR === '';
  const vars = Object.entries({ NO_COLOR: '1', ...env })
    .filter(([k]) => !(colour && k === 'NO_COLOR'))
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(' ');
  const cmd = `cd ${q(dir)} && env -u CI ${colour ? '-u NO_COLOR -u FORCE_COLOR ' : ''}${vars} ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}${opts.redirect ? ` ${opts.redirect}` : ''}; echo $? > ${q(codeFile)}; sleep 60`;
  tmux(socket, 'new-session', '-d', '-s', name, '-x', '120', '-y', '50', cmd);
  tmux(socket, 'set-option', '-t', name, 'history-limit', '10000');
  const screen = () => tmux(socket, 'capture-pane', '-p', '-t', name);
  const t: Terminal = {
    screen,
    all: () => tmux(socket, 'capture-pane', '-p', '-S', '-', '-t', name),
    styled: () => tmux(socket, 'capture-pane', '-p', '-e', '-t', name),
    keys: (...k) => void tmux(socket, 'send-keys', '-t', name, ...k),
    async code(ms = 30_000) {
      try {
        await waitFor(() => existsSync(codeFile) && readFileSync(codeFile, 'utf8').endsWith('\n'), ms);
      } catch {
        throw new Error(`the command did not exit within ${ms}ms; the screen:\n${screen()}`);
      }
      return Number(readFileSync(codeFile, 'utf8'));
    },
    close: () => close(socket),
    async see(text, ms = 20_000) {
      const has = () => (typeof text === 'string' ? screen().includes(text) : text.test(screen()));
      try {
        await waitFor(has, ms);
      } catch {
        throw new Error(`never saw ${String(text)} on the screen:\n${screen()}`);
      }
    },
  };
  return t;
}

/** What must never reach an operator's terminal: a crash. */
export function crashes(text: string): string[] {
  return text
    .split('\n')
    .filter((l) =>
      /TypeError|ReferenceError|DeprecationWarning|\(node:\d+\) \w*Warning|internal error|^\s+at .+:\d+:\d+\)?$|node:internal|Node\.js v\d/.test(
        l,
      ),
    );
}
