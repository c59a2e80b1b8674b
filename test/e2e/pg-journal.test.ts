// A team sharing one journal and lock in PostgreSQL, from different directories.
import { describe, expect, it } from 'vitest';
import { assertSessionConnection } from '../../src/journal/postgres.js';
import { lockKey } from '../../src/journal/pglock.js';
import { freshDatabase, sql, withClient } from '../helpers/pg.js';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const rb = runbook(
  `  - id: 1\n    name: slow\n    steps:\n      - { run: "touch started; sleep \${hold}", undo: "echo undone >> log" }\n  - id: 2\n    name: next\n    irreversible: true\n    steps: [{ run: "true" }]\n`,
  'vars:\n  hold: { default: "0" }\n',
);

describe('the PostgreSQL journal', () => {
  it('shares one lock and one history between operators in different directories', async () => {
    const url = await freshDatabase();
    const alice = sandbox(rb);
    const bob = sandbox(rb);
    const env = { MIGRATE_JOURNAL_URL: url };
    const first = alice.spawn(['stage', '1', '--set', 'hold=30'], env);
    await waitFor(() => alice.exists('started'));
    const second = bob.run(['stage', '1'], env);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/another run holds the lock: .+@.+ \(pid \d+ on /);
    const status = JSON.parse(bob.run(['status', '--json'], env).stdout);
    expect(status).toMatchObject({ state: 'in_progress', lock: { operator: expect.stringContaining('@') } });
    // Killing the holder frees the lock: PostgreSQL ends its session.
    first.kill('SIGKILL');
    await exited(first);
    await waitFor(() => JSON.parse(bob.run(['status', '--json'], env).stdout).lock === null, 15_000);
    expect(JSON.parse(bob.run(['status', '--json'], env).stdout)).toMatchObject({
      state: 'interrupted',
      active: { stage: 1 },
    });
    // Bob rolls back Alice's interrupted stage, then runs it himself.
    expect(bob.run(['rollback', '--yes'], env).code).toBe(0);
    expect(bob.run(['up'], env).code).toBe(0);
    const aliceSees = JSON.parse(alice.run(['history', '--json'], env).stdout);
    const bobSees = JSON.parse(bob.run(['history', '--json'], env).stdout);
    expect(aliceSees).toEqual(bobSees);
    expect(aliceSees.map((r: { command: string; outcome: string }) => [r.command, r.outcome])).toEqual([
      ['up', 'succeeded'],
      ['rollback', 'succeeded'],
      ['stage 1', 'interrupted'],
    ]); // killed, and its lock holder is gone
    expect(JSON.parse(alice.run(['status', '--json'], env).stdout)).toMatchObject({ current_stage: 2, state: 'clean' });
    expect(alice.exists('.migrate/journal.jsonl')).toBe(false);
    const rows = await sql(url, 'SELECT count(*)::int AS n, count(DISTINCT run_id)::int AS runs FROM migrate_journal');
    expect(rows[0]?.runs).toBe(3);
    expect((await sql(url, 'SELECT version FROM migrate_schema'))[0]?.version).toBe(1);
  });

  it('a run of the same runbook in another database on the server is not the holder here (advisory locks are per database)', async () => {
    const staging = await freshDatabase();
    const prod = await freshDatabase();
    const alice = sandbox(rb);
    const bob = sandbox(rb);
    const first = alice.spawn(['stage', '1', '--set', 'hold=30'], { MIGRATE_JOURNAL_URL: staging });
    try {
      await waitFor(() => alice.exists('started'));
      const env = { MIGRATE_JOURNAL_URL: prod };
      const status = JSON.parse(bob.run(['status', '--json'], env).stdout) as { lock: unknown; state: string };
      expect(status).toMatchObject({ lock: null, state: 'clean' });
      const r = bob.run(['stage', '1'], env);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      first.kill('SIGKILL');
      await exited(first);
    }
  });

  it('a run that lost the race while the winner had the lock but not yet its row waits for the row, not "unknown"', async () => {
    const url = await freshDatabase();
    const env = { MIGRATE_JOURNAL_URL: url };
    const bob = sandbox(rb);
    expect(bob.run(['status'], env).code).toBe(0); // the tables exist
    await withClient(url, async (winner) => {
      // The winner's two steps, taken apart: the advisory lock now, its holder row a moment later.
      const { rows } = await winner.query('SELECT pg_advisory_lock($1::bigint), pg_backend_pid() AS pid', [
        lockKey('t'),
      ]);
      const late = setTimeout(() => {
        void winner.query(
          `INSERT INTO migrate_lock_holders (runbook, pid, host, operator, since, run_id, lock_key, heartbeat)
           VALUES ('t', $1, 'db-host', 'alice@laptop', now(), 'r1', $2, now())`,
          [rows[0].pid, lockKey('t')],
        );
      }, 400);
      try {
        const r = await bob.runAsync(['stage', '1'], env);
        expect(r.code, r.stderr).toBe(4);
        expect(r.stderr).toMatch(/another run holds the lock: alice@laptop/);
      } finally {
        clearTimeout(late);
      }
    });
  });

  it("a reader's open transaction on its tables (a dashboard, a psql session) neither hangs migrate nor silences the holder", async () => {
    const url = await freshDatabase();
    const box = sandbox(rb);
    const env = { MIGRATE_JOURNAL_URL: url };
    expect(box.run(['status'], env).code).toBe(0); // the tables exist
    await withClient(url, async (reader) => {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM migrate_lock_holders');
      await reader.query('SELECT count(*) FROM migrate_journal');
      const t0 = Date.now();
      const r = await box.runAsync(['stage', '1'], env);
      expect(r.code, r.stderr).toBe(0);
      expect((await box.runAsync(['status', '--json'], env)).code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
      await reader.query('COMMIT');
    });
  });

  it('two operators starting the same stage at once on a new journal: one runs it, the other is told who holds the lock', async () => {
    const url = await freshDatabase();
    const env = { MIGRATE_JOURNAL_URL: url };
    const [alice, bob] = [sandbox(rb), sandbox(rb)];
    const runs = await Promise.all([alice, bob].map((box) => box.runAsync(['stage', '1', '--set', 'hold=3'], env)));
    expect(runs.map((r) => r.code).sort()).toEqual([0, 4]);
    expect(runs.find((r) => r.code === 4)?.stderr).toMatch(/another run holds the lock: .+@.+ \(pid \d+ on /);
    expect(await sql(url, "SELECT count(*)::int AS n FROM migrate_journal WHERE event = 'step.started'")).toEqual([
      { n: 1 },
    ]);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM migrate_schema')).toEqual([{ n: 1 }]);
  });

  it('refuses a transaction-pooling proxy', async () => {
    let pid = 100;
    const fake = { query: async () => ({ rows: [{ pid: pid++ }] }) };
    await expect(assertSessionConnection(fake as never, 'postgres://u@db:5432/x')).rejects.toThrow(
      /transaction-pooling proxy/,
    );
    const steady = { query: async () => ({ rows: [{ pid: 7 }] }) };
    await expect(assertSessionConnection(steady as never, 'postgres://u@db:5432/x')).resolves.toBeUndefined();
    await expect(assertSessionConnection(steady as never, 'postgres://u@pgbouncer:6432/x')).rejects.toMatchObject({
      hint: expect.stringContaining('migrate_session=1'),
    });
    await expect(
      assertSessionConnection(steady as never, 'postgres://u@pgbouncer:6432/x?migrate_session=1'),
    ).resolves.toBeUndefined();
  });
});
