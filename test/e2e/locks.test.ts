// The file lock: taken atomically, released only by its holder, taken over from a dead holder by exactly one run.
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

/** A step that waits for the test to create `go`, so the test decides when the run ends. */
const waiting = runbook(
  `  - id: 1\n    name: s1\n    steps:\n      - run: 'echo run >> log; touch started; for i in $(seq 400); do [ -e go ] && break; sleep 0.05; done'\n        undo: echo undo >> log\n`,
);

function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
  );
}

const lockFile = (dir: string) => join(dir, '.migrate/t.lock');

describe('the file lock', () => {
  it('an empty lock file (a run still writing it) is held, not absent', () => {
    const box = sandbox(waiting);
    box.stateDir();
    writeFileSync(lockFile(box.dir), '');
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/lock file .* is empty or unreadable/);
    expect(box.exists('.migrate/t.lock')).toBe(true);
    expect(box.exists('log')).toBe(false);
  });

  it('a run releases only a lock holding its own run id', async () => {
    const box = sandbox(waiting);
    const first = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    // Someone else's lock now sits there (say an unlock and another run happened meanwhile).
    const other = {
      pid: process.pid,
      host: hostname(),
      operator: 'bob@ops',
      since: new Date().toISOString(),
      run_id: 'other-run',
    };
    writeFileSync(`${lockFile(box.dir)}.x`, JSON.stringify(other));
    renameSync(`${lockFile(box.dir)}.x`, lockFile(box.dir));
    writeFileSync(join(box.dir, 'go'), '');
    expect(await exited(first)).toBe(0);
    expect(JSON.parse(readFileSync(lockFile(box.dir), 'utf8'))).toMatchObject({ run_id: 'other-run' });
  });

  it("two runs racing to take over a dead holder's lock: exactly one wins", async () => {
    const box = sandbox(waiting);
    box.stateDir();
    const dead = {
      pid: deadPid(),
      host: hostname(),
      operator: 'gone@ops',
      since: '2026-01-01T00:00:00Z',
      run_id: 'dead-run',
    };
    writeFileSync(lockFile(box.dir), JSON.stringify(dead));
    // Test-only: both pause between seeing the dead holder and taking its lock over.
    const env = { MIGRATE_TEST_LOCK_DELAY_MS: '1500' };
    const a = box.spawn(['stage', '1'], env);
    const b = box.spawn(['stage', '1'], env);
    const codes = await Promise.all([
      exited(a),
      exited(b),
      waitFor(() => box.exists('started')).then(async () => {
        await new Promise((r) => setTimeout(r, 1500));
        writeFileSync(join(box.dir, 'go'), '');
      }),
    ]);
    expect(codes.slice(0, 2).sort()).toEqual([0, 4]);
    expect(box.lines('log')).toEqual(['run']);
    expect(box.journal().filter((e) => e.event === 'lock.taken_over')).toHaveLength(1);
  });
});

describe('unlock', () => {
  it('refuses a live holder, even with --force, and says how to stop it', async () => {
    const box = sandbox(waiting);
    const first = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    for (const args of [
      ['unlock', '--yes'],
      ['unlock', '--force', '--yes'],
    ]) {
      const r = box.run(args);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`pid ${first.pid}`);
      expect(r.stderr).toContain('rollback --emergency');
    }
    expect(box.exists('.migrate/t.lock')).toBe(true);
    first.kill('SIGKILL');
    await exited(first);
    // Proven dead: unlock removes it after confirmation.
    expect(box.run(['unlock']).code).toBe(5);
    expect(box.run(['unlock', '--yes']).code).toBe(0);
    expect(box.exists('.migrate/t.lock')).toBe(false);
  });

  it('a holder on another host cannot be checked from here: only --force removes it', () => {
    const box = sandbox(waiting);
    box.stateDir();
    writeFileSync(
      lockFile(box.dir),
      JSON.stringify({
        pid: 4242,
        host: 'elsewhere.example',
        operator: 'alice@elsewhere',
        since: '2026-01-01T00:00:00Z',
        run_id: 'r',
      }),
    );
    expect(box.run(['stage', '1']).code).toBe(4);
    const r = box.run(['unlock', '--yes']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('elsewhere.example');
    expect(r.stderr).toContain('--force');
    expect(box.run(['unlock', '--force', '--yes']).code).toBe(0);
    expect(box.journal().find((e) => e.event === 'lock.removed')?.previous).toMatchObject({
      operator: 'alice@elsewhere',
    });
    writeFileSync(join(box.dir, 'go'), '');
    expect(box.run(['stage', '1']).code).toBe(0);
  });
});
