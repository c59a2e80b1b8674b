// What the journal makes durable, and when, seen in the system calls of a real
// run (strace): each step's step.started is fsynced before its process is
// exec'd, the previous step's outcome is on disk by then too, and a chain of
// steps costs one fsync per step (step.process and outcomes ride along).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

function requireStrace(): void {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'strace is not installed: this test reads the system calls of a run (apt-get install -y strace); it is not skipped',
    );
  }
}

const chain = (n: number) =>
  `version: 1\nname: chain\nstages:\n  - id: 1\n    name: chain\n    irreversible: true\n    steps:\n${Array.from(
    { length: n },
    (_, i) => `      - { id: s${i}, run: "echo s${i} > /dev/null" }\n`,
  ).join('')}`;

/** The run's write, fsync/fdatasync and execve calls, in order, from every process. */
function trace(steps: number): string[] {
  const dir = tempDir();
  writeFileSync(join(dir, 'migrate.yaml'), chain(steps));
  const out = join(dir, 'strace.txt');
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-s',
      '300',
      '-e',
      'trace=write,fsync,fdatasync,execve',
      '-o',
      out,
      process.execPath,
      BIN,
      'stage',
      '1',
    ],
    {
      cwd: dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => /\b(write|fsync|fdatasync|execve)\(/.test(l));
}

const syncs = (calls: string[]) => calls.filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;

describe('journal durability', () => {
  it('each step.started is on disk before its process runs, with the previous outcome; one fsync per step', () => {
    requireStrace();
    const calls = trace(12);
    for (let i = 0; i < 12; i++) {
      const started = calls.findIndex((l) => l.includes('step.started') && l.includes(`\\"step\\":\\"s${i}\\"`));
      const exec = calls.findIndex((l) => /execve\(/.test(l) && l.includes(`echo s${i} `));
      expect(started, `s${i} started`).toBeGreaterThan(-1);
      expect(exec, `s${i} exec`).toBeGreaterThan(started);
      expect(
        calls.slice(started, exec).some((l) => /\b(fsync|fdatasync)\(/.test(l)),
        `fsync between s${i} started and its exec`,
      ).toBe(true);
      if (i > 0) {
        const previous = calls.findIndex(
          (l) => l.includes('step.succeeded') && l.includes(`\\"step\\":\\"s${i - 1}\\"`),
        );
        expect(previous, `s${i - 1} succeeded written before s${i} started`).toBeGreaterThan(-1);
        expect(previous).toBeLessThan(started);
      }
    }
    // The marginal cost of a step: 20 more steps, 20 more fsyncs.
    expect(syncs(trace(32)) - syncs(calls)).toBe(20);
  });
});
