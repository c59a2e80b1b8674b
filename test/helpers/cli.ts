/** Run the built binary as a real child process. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'migrate.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function migrate(args: string[], opts: SpawnSyncOptions & { input?: string } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...(opts.env ?? {}) },
    input: opts.input ?? '',
    timeout: opts.timeout ?? 60_000,
  });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function tempDir(prefix = 'migrate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
