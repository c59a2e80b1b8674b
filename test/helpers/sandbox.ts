/** A temp directory holding one runbook, its state dir, and files its steps write. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, migrate, tempDir, type Result } from './cli.js';
import type { JournalEvent } from '../../src/journal/events.js';
import type { RunSummary } from '../../src/journal/types.js';
import type { StatusJson } from '../../src/cli/commands/status.js';

export interface Sandbox {
  dir: string;
  run(args: string[], env?: Record<string, string>): Result;
  /** Like run, without blocking the event loop (a test's own HTTP server must answer meanwhile). */
  runAsync(args: string[], env?: Record<string, string>): Promise<Result>;
  /** Start the CLI without waiting (for locks, signals and crashes). */
  spawn(args: string[], env?: Record<string, string>): import('node:child_process').ChildProcess;
  read(file: string): string;
  lines(file: string): string[];
  exists(file: string): boolean;
  /** Create the state dir (.migrate, 0700) as a run would, and return its path. */
  stateDir(): string;
  journal(): JournalEvent[];
  status(): StatusJson;
  history(): RunSummary[];
}

export function sandbox(yaml: string, files: Record<string, string> = {}): Sandbox {
  const dir = tempDir();
  writeFileSync(join(dir, 'migrate.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o755 });
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
  const box: Sandbox = {
    dir,
    run: (args, env = {}) => migrate(args, { cwd: dir, env }),
    runAsync: (args, env = {}) =>
      new Promise((resolve) => {
        const child = box.spawn(args, env);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (c) => {
          stdout += c;
        });
        child.stderr!.on('data', (c) => {
          stderr += c;
        });
        // 'close', not 'exit': the pipes may still hold output when the process exits.
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      }),
    spawn: (args, env = {}) =>
      spawn(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', CI: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    read,
    lines: (f) => read(f).split('\n').filter(Boolean),
    exists: (f) => existsSync(join(dir, f)),
    stateDir: () => {
      mkdirSync(join(dir, '.migrate'), { recursive: true, mode: 0o700 });
      return join(dir, '.migrate');
    },
    journal: () =>
      read('.migrate/journal.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    status: () => JSON.parse(box.run(['status', '--json']).stdout),
    history: () => JSON.parse(box.run(['history', '--json']).stdout),
  };
  return box;
}

/** A runbook with one stage built from YAML lines (indented as stage keys). */
export function runbook(stages: string, head = ''): string {
  return `version: 1\nname: t\n${head}stages:\n${stages}`;
}

export async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves on exit, also for a child that has already exited (a fast run can end before a delayed kill). */
export function exited(child: import('node:child_process').ChildProcess): Promise<number | null> {
  const result = (code: number | null, signal: NodeJS.Signals | null) => code ?? (signal ? -1 : null);
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(result(child.exitCode, child.signalCode));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(result(code, signal))));
}

/** A process is alive when it exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A diagnostic as `validate --format json` prints it. */
export interface JsonDiagnostic {
  code: string;
  line: number;
  column: number;
  message: string;
  severity: string;
}

/** `validate --format json` of the sandbox's runbook: its exit code, its diagnostics, and the run. */
export function validateJson(box: Sandbox) {
  const r = box.run(['validate', '--format', 'json', 'migrate.yaml']);
  const list = (r.code === 0 || r.code === 2 ? JSON.parse(r.stdout || '[]') : []) as JsonDiagnostic[];
  return { code: r.code, list, r };
}
