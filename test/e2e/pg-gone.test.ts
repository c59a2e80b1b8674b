// The PostgreSQL journal's database going away: before a run, and in the
// middle of one (its server stopped). The machine's problem, said as such
// (exit 6), never an "internal error"; the step that was running is stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, sql } from '../helpers/pg.js';
import { alive, exited, sandbox, waitFor } from '../helpers/sandbox.js';

const slow = `version: 1\nname: gone\nstages:\n  - id: 1\n    name: slow\n    steps:\n      - { id: a, run: "echo $$ > shell.pid; touch started; sleep 30; echo done >> log", undo: "echo undone >> log" }\n`;
const REFUSED = 'postgres://migrate:s3cret@127.0.0.1:9/journal';

/** A PostgreSQL server of this test's own, so it can be stopped. */
async function ownServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/pg-server.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const end = out.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(out.slice(0, end)).url);
    });
    child.on('exit', (code) => reject(new Error(`the test's own PostgreSQL did not start (exit ${code})`)));
  });
  return { url, child };
}

let server: ChildProcess | undefined;
afterAll(async () => {
  if (server && server.exitCode === null) {
    server.stdin!.end();
    await exited(server);
  }
});

describe('the journal database unreachable', () => {
  it.each([['stage', '1', '--yes'], ['status'], ['history'], ['unlock', '--yes'], ['rollback', '--yes']])(
    'migrate %s says it cannot reach the journal database (exit 6), password hidden',
    (...args) => {
      const r = sandbox(slow).run(args, { MIGRATE_JOURNAL_URL: REFUSED });
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).toContain('the journal database postgres://***@127.0.0.1:9/journal cannot be reached');
      expect(r.stdout + r.stderr).not.toContain('s3cret');
      expect(r.code).toBe(6);
    },
  );

  it('stopped in the middle of a step: the run stops its step and exits 6 saying so', async () => {
    const own = await ownServer();
    server = own.child;
    const box = sandbox(slow);
    const run = box.spawn(['stage', '1', '--yes'], { MIGRATE_JOURNAL_URL: own.url });
    let out = '';
    run.stdout!.on('data', (c) => {
      out += c;
    });
    run.stderr!.on('data', (c) => {
      out += c;
    });
    const code = exited(run);
    await waitFor(() => box.exists('started'), 30_000);
    own.child.kill('SIGTERM');
    await exited(own.child);
    expect(await code, out).toBe(6);
    expect(out).not.toContain('internal error');
    expect(out).toContain('cannot be reached');
    expect(alive(Number(box.read('shell.pid')))).toBe(false);
    expect(box.exists('log')).toBe(false);
  }, 90_000);
});

describe('a journal database that cannot be used', () => {
  const rb = `version: 1\nname: ro\nstages:\n  - id: 1\n    name: one\n    steps: [{ run: "true" }]\n`;
  it.each([
    [
      'a read-only replica',
      async (url: string) => {
        await sql(url, `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_read_only = on`);
        return url;
      },
    ],
    [
      'a role without rights on it',
      async (url: string) => {
        const role = `ro_${Math.random().toString(36).slice(2, 8)}`;
        await sql(url, `CREATE ROLE ${role} LOGIN PASSWORD 'pw-secret'; REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
        const u = new URL(url);
        u.username = role;
        u.password = 'pw-secret';
        return u.toString();
      },
    ],
  ])('%s: exit 6 saying the journal database cannot be used, never an internal error', async (_what, prepare) => {
    const url = await prepare(await freshDatabase());
    const box = sandbox(rb);
    for (const args of [['stage', '1'], ['status']]) {
      const r = box.run(args, { MIGRATE_JOURNAL_URL: url });
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).toMatch(/the journal database postgres:\/\/\*\*\*@[^ ]+ cannot be used: /);
      expect(r.stderr).not.toContain('pw-secret');
      expect(r.code, r.stderr).toBe(6);
    }
  });
});
