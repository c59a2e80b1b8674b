// The PostgreSQL lock: never broken under a live run, a 64-bit key per runbook, a lost session stops the run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockKey, SILENT_MS } from '../../src/journal/pglock.js';
import { freshDatabase, sql, withClient } from '../helpers/pg.js';
import { alive, exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const slow = (name: string) =>
  `version: 1\nname: ${name}\nstages:\n  - id: 1\n    name: slow\n    steps:\n      - { run: "echo $$ > shell.pid; touch started; sleep 20; echo done >> log", undo: "echo undone >> log" }\n`;

describe('the PostgreSQL lock', () => {
  it('unlock refuses a live holder and never ends its session', async () => {
    const env = { MIGRATE_JOURNAL_URL: await freshDatabase() };
    const alice = sandbox(
      runbook(
        `  - id: 1\n    name: s\n    steps:\n      - { run: "touch started; for i in $(seq 600); do [ -e go ] && break; sleep 0.05; done; echo done >> log", undo: "true" }\n`,
      ),
    );
    const bob = sandbox(alice.read('migrate.yaml'));
    const holder = alice.spawn(['stage', '1'], env);
    await waitFor(() => alice.exists('started'));
    for (const args of [
      ['unlock', '--yes'],
      ['unlock', '--force', '--yes'],
    ]) {
      const r = bob.run(args, env);
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stderr).toContain('rollback --emergency');
    }
    writeFileSync(join(alice.dir, 'go'), '');
    expect(await exited(holder)).toBe(0);
    expect(alice.lines('log')).toEqual(['done']);
  });

  it('a run whose lock session is ended stops its steps and journals why', async () => {
    const url = await freshDatabase();
    const env = { MIGRATE_JOURNAL_URL: url };
    const box = sandbox(slow('t'));
    const holder = box.spawn(['stage', '1'], env);
    const code = exited(holder);
    await waitFor(() => box.exists('started'));
    await sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'migrate lock t'");
    expect(await code).toBe(130);
    expect(alive(Number(box.read('shell.pid')))).toBe(false);
    const events = await sql<{ body: Record<string, unknown> }>(
      url,
      "SELECT body FROM migrate_journal WHERE event = 'stage.interrupted'",
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.body.reason).toMatch(/lost the lock/);
    expect(box.exists('log')).toBe(false);
  });

  it("names the holder by its own process id, not its database session's", async () => {
    const env = { MIGRATE_JOURNAL_URL: await freshDatabase() };
    const box = sandbox(slow('named'));
    const holder = box.spawn(['stage', '1'], env);
    await waitFor(() => box.exists('started'));
    const lock = JSON.parse(box.run(['status', '--json'], env).stdout).lock;
    expect(lock.pid).toBe(holder.pid);
    expect(box.run(['stage', '1'], env).stderr).toContain(`pid ${holder.pid} on `);
    holder.kill('SIGKILL');
    await exited(holder);
  });

  it('a holder suspended on this host (Ctrl-Z) is alive though silent: unlock and unlock --force refuse it', async () => {
    const env = { MIGRATE_JOURNAL_URL: await freshDatabase() };
    const alice = sandbox(
      runbook(
        `  - id: 1\n    name: s\n    steps:\n      - { run: "touch started; for i in $(seq 900); do [ -e go ] && break; sleep 0.05; done; echo done >> log", undo: "true" }\n`,
      ),
    );
    const holder = alice.spawn(['stage', '1'], env);
    const code = exited(holder);
    await waitFor(() => alice.exists('started'));
    holder.kill('SIGSTOP');
    try {
      // Past the time after which a holder that does not stamp its row counts as gone.
      await new Promise((r) => setTimeout(r, SILENT_MS + 1500));
      for (const args of [
        ['unlock', '--yes'],
        ['unlock', '--force', '--yes'],
      ]) {
        const r = alice.run(args, env);
        expect(r.code, r.stdout + r.stderr).toBe(4);
      }
    } finally {
      holder.kill('SIGCONT');
    }
    writeFileSync(join(alice.dir, 'go'), '');
    expect(await code).toBe(0);
    expect(alice.lines('log')).toEqual(['done']);
  }, 60_000);

  it('an emergency stops a holder suspended on this host, which cannot answer its request, and rolls back', async () => {
    const env = { MIGRATE_JOURNAL_URL: await freshDatabase() };
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s\n    steps:\n      - { run: "echo $$ > shell.pid; touch started; sleep 60", undo: "echo undone >> log" }\n`,
      ),
    );
    const holder = box.spawn(['stage', '1'], env);
    const code = exited(holder);
    await waitFor(() => box.exists('started'));
    holder.kill('SIGSTOP');
    const r = box.run(['rollback', '--emergency', '--reason', 'stuck', '--yes'], env);
    holder.kill('SIGCONT');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await code).toBe(-1); // killed
    expect(box.lines('log')).toEqual(['undone']);
    expect(alive(Number(box.read('shell.pid')))).toBe(false);
    expect(JSON.parse(box.run(['status', '--json'], env).stdout)).toMatchObject({
      state: 'clean',
      current_stage: 0,
      lock: null,
    });
  }, 60_000);

  it('keys are 64 bits from sha256: names whose 32-bit hashtext collides get separate locks', async () => {
    const url = await freshDatabase();
    const [pair] = await sql<{ a: string; b: string }>(
      url,
      `SELECT min(n) AS a, max(n) AS b FROM (SELECT 'rb-' || i AS n, hashtext('rb-' || i) AS h FROM generate_series(1, 300000) i) x GROUP BY h HAVING count(*) > 1 LIMIT 1`,
    );
    if (!pair) throw new Error('no two names in 300,000 share a 32-bit hashtext');
    expect(lockKey(pair.a)).not.toBe(lockKey(pair.b));
    const env = { MIGRATE_JOURNAL_URL: url };
    const a = sandbox(slow(pair.a));
    const b = sandbox(slow(pair.b).replace('sleep 20', 'sleep 0'));
    const holder = a.spawn(['stage', '1'], env);
    await waitFor(() => a.exists('started'));
    const r = b.run(['stage', '1'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(a.run(['status', '--json'], env).stdout)).toMatchObject({
      state: 'in_progress',
      lock: { operator: expect.stringContaining('@') },
    });
    expect(JSON.parse(b.run(['status', '--json'], env).stdout)).toMatchObject({ state: 'clean', lock: null });
    holder.kill('SIGKILL');
    await exited(holder);
  });

  it('a lock key held by a run of another runbook is never acted on: unlock, emergency and stage refuse, its session lives', async () => {
    // A collision of 64-bit keys cannot be found; it is made: a session takes t's key and says it runs 'payments'.
    const url = await freshDatabase();
    const env = { MIGRATE_JOURNAL_URL: url };
    const stage = (n: number) =>
      `  - id: ${n}\n    name: s${n}\n    steps: [{ run: "echo do-${n} >> log", undo: "echo undo-${n} >> log" }]\n`;
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1'], env).code).toBe(0);
    await withClient(url, async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [lockKey('t')]);
      await other.query(
        `INSERT INTO migrate_lock_holders (runbook, pid, host, operator, since, run_id, lock_key, heartbeat)
         VALUES ('payments', pg_backend_pid(), 'db-host-2', 'carol@db-host-2', now(), 'r1', $1, now())`,
        [lockKey('t')],
      );
      const [{ pid }] = (await other.query('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      for (const args of [
        ['unlock', '--force', '--yes'],
        ['rollback', '--emergency', '--reason', 'x', '--yes'],
        ['stage', '2'],
        ['rollback', '--yes'],
      ]) {
        const r = box.run(args, env);
        expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(4);
        expect(r.stderr).toContain("held by a run of 'payments'");
      }
      // The other runbook's session and row are as they were: nothing was ended or asked of it.
      const [row] = (
        await other.query(
          `SELECT stop_reason, (SELECT count(*) FROM pg_stat_activity WHERE pid = $1)::int AS alive FROM migrate_lock_holders WHERE runbook = 'payments'`,
          [pid],
        )
      ).rows;
      expect(row).toEqual({ stop_reason: null, alive: 1 });
      expect(JSON.parse(box.run(['status', '--json'], env).stdout)).toMatchObject({ current_stage: 1 });
    });
    expect(box.lines('log')).toEqual(['do-1']);
  });
});

describe('a runbook name that is not one (quotes, NUL, bidi override, unicode)', () => {
  const odd =
    'version: 1\nname: "a\\0b\\u202e\\u00e9\\"x\'y"\nstages:\n  - id: 1\n    name: one\n    steps: [{ run: "true" }]\n';
  it.each(['file', 'postgres'])(
    'status and history with the %s journal refuse it as usage (exit 2), never an internal error',
    async (kind) => {
      const env: Record<string, string> = kind === 'postgres' ? { MIGRATE_JOURNAL_URL: await freshDatabase() } : {};
      const box = sandbox(odd);
      for (const args of [['status'], ['history'], ['stage', '1'], ['unlock', '--yes']]) {
        const r = box.run(args, env);
        expect(r.stderr, args.join(' ')).not.toContain('internal error');
        expect(r.stderr).not.toContain('\u202e');
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      }
    },
  );
});
