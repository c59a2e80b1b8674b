// What happens when things go wrong: rollbacks, locks, crashes, signals, torn journals.
import { appendFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const stage = (id: number, undo = `echo undo-${id} >> log`) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - run: echo do-${id} >> log\n        undo: ${undo}\n`;

describe('rollback', () => {
  it('rolls back the current stage; --to K rolls back every stage above K, highest first', () => {
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3) + stage(4)));
    expect(box.run(['up', '--to', '3']).code).toBe(0);
    expect(box.status().current_stage).toBe(3);
    expect(box.run(['rollback', '--to', '1', '--yes']).code).toBe(0);
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'do-3', 'undo-3', 'undo-2', 'undo-1']);
    expect(box.status().current_stage).toBe(0);
    expect(box.run(['rollback', '--yes']).stdout).toContain('nothing to roll back');
  });

  it('asks for confirmation: without a terminal and without --yes it exits 5', () => {
    const box = sandbox(runbook(stage(1)));
    box.run(['stage', '1']);
    expect(box.run(['rollback']).code).toBe(5);
    expect(box.status().current_stage).toBe(1);
  });

  it('--emergency needs --reason, goes on past a failing undo, and leaves state dirty (exit 3)', () => {
    const box = sandbox(runbook(stage(1) + stage(2, 'echo undo-2-fails >> log; exit 1') + stage(3)));
    expect(box.run(['up']).code).toBe(0);
    expect(box.run(['rollback', '--emergency', '--yes']).code).toBe(2);
    const r = box.run(['rollback', '--emergency', '--reason', 'error spike', '--yes']);
    expect(r.code).toBe(3);
    expect(box.lines('log').slice(3)).toEqual(['undo-3', 'undo-2-fails', 'undo-1']);
    expect(box.status()).toMatchObject({ state: 'dirty', current_stage: 0 });
    expect(box.journal().find((e) => e.event === 'rollback.started')).toMatchObject({
      emergency: true,
      reason: 'error spike',
    });
    expect(box.history()[0]).toMatchObject({ outcome: 'rollback_failed', command: 'rollback --emergency' });
    // dirty blocks stages until a rollback succeeds
    expect(box.run(['stage', '1']).code).toBe(3);
  });

  it('an emergency rollback skips waits in rollback steps', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps:\n      - { run: "true", undo: "echo undone >> log" }\n    rollback:\n      - pause: 1h\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.run(['rollback', '--emergency', '--reason', 'now', '--yes']).code).toBe(0);
    expect(box.lines('log')).toEqual(['undone']);
  });
});

describe('locks', () => {
  it('a second run exits 4 and names the holder', async () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: s1\n    irreversible: true\n    steps:\n      - run: touch started; sleep 20\n`),
    );
    const first = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    const second = box.run(['stage', '1']);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(new RegExp(`another run holds the lock: .*@.* \\(pid ${first.pid} on ${hostname()}`));
    expect(box.status()).toMatchObject({ state: 'in_progress', lock: { pid: first.pid, host: hostname() } });
    first.kill('SIGKILL');
    await exited(first);
  });

  it('a lock held by a live process on this host is respected, also by unlock', () => {
    const box = sandbox(runbook(stage(1)));
    box.stateDir();
    const lock = { pid: 1, host: hostname(), operator: 'alice@elsewhere', since: '2026-01-01T00:00:00Z' };
    writeFileSync(join(box.dir, '.migrate/t.lock'), JSON.stringify(lock));
    expect(box.run(['stage', '1']).code).toBe(4);
    expect(box.run(['unlock', '--yes']).code).toBe(4);
    expect(box.exists('.migrate/t.lock')).toBe(true);
  });
});

describe('crashes and signals', () => {
  const slowB = `  - id: 1\n    name: s1\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - id: b\n        needs: [a]\n        run: 'echo b-start >> log; if [ -e slow ]; then touch started; sleep 30; fi; echo b >> log'\n        undo: echo undo-b >> log\n`;

  async function crashDuringB() {
    const box = sandbox(runbook(slowB), { slow: '' });
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    child.kill('SIGKILL');
    await exited(child);
    return box;
  }

  it('kill -9 mid-step: status names the step in doubt; rollback undoes the completed and the in-doubt steps', async () => {
    const box = await crashDuringB();
    const s = box.status();
    expect(s).toMatchObject({
      state: 'interrupted',
      current_stage: 0,
      active: { stage: 1, completed_steps: ['a'], in_doubt: ['b'], last_step: 'b' },
      lock: { stale: true },
    });
    expect(box.run(['status']).stdout).toContain('stage 1 did not finish');
    expect(box.run(['status']).stdout).toMatch(/in doubt .*: b/);
    expect(box.run(['stage', '2']).code).toBe(2);
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'b-start', 'undo-b', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0, lock: null });
    expect(box.journal().map((e) => e.event)).toContain('lock.taken_over');
  });

  it('kill -9 mid-step: --resume skips the completed steps and finishes', async () => {
    const box = await crashDuringB();
    unlinkSync(join(box.dir, 'slow'));
    expect(box.run(['stage', '1']).code).toBe(2); // blocked: must rollback or resume
    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'b-start', 'b-start', 'b']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 1 });
  });

  it('SIGINT stops the running step, journals the interruption and exits 130', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps:\n      - id: long\n        run: 'echo $$ > shell.pid; touch started; sleep 30'\n        undo: echo undo >> log\n`,
      ),
    );
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.exists('started'));
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    expect(box.journal().map((e) => e.event)).toContain('stage.interrupted');
    expect(box.status()).toMatchObject({ state: 'interrupted', lock: null });
    expect(alive(Number(box.read('shell.pid')))).toBe(false);
  });
});

describe('the journal', () => {
  it('tolerates a torn last line and repairs it on the next write', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    appendFileSync(join(box.dir, '.migrate/journal.jsonl'), '{"ts":"2026-11-22T00:00:00Z","run_id":"x","runb');
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(box.run(['stage', '2']).code).toBe(0);
    const text = readFileSync(join(box.dir, '.migrate/journal.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(box.status().current_stage).toBe(2);
  });

  it('status is right without the snapshot, and with a stale one', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    box.run(['up']);
    unlinkSync(join(box.dir, '.migrate/snapshot.json'));
    expect(box.status().current_stage).toBe(2);
    box.run(['rollback', '--yes']);
    expect(box.status().current_stage).toBe(1);
  });

  it('reports drift when the runbook changed after its stages ran', () => {
    const box = sandbox(runbook(stage(1)));
    box.run(['stage', '1']);
    expect(box.status().drift).toBeNull();
    appendFileSync(join(box.dir, 'migrate.yaml'), '# edited\n');
    expect(box.status().drift).toMatchObject({ stages: [1] });
  });
});

describe('secrets and injection', () => {
  it('a secret never reaches output or the journal, even when a process echoes it', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    steps:\n      - run: 'echo "token=\${token}"; echo "env=$T"; exit 1'\n        env: { T: "\${token}" }\n`,
        'vars:\n  token: { env: MY_TOKEN, secret: true }\n',
      ),
    );
    const r = box.run(['stage', '1'], { MY_TOKEN: 'hunter2-very-secret' });
    expect(r.code).toBe(1);
    const everything = r.stdout + r.stderr + box.read('.migrate/journal.jsonl') + box.run(['history', '--json']).stdout;
    expect(everything).toContain('token=***');
    expect(everything).toContain('env=***');
    expect(everything).not.toContain('hunter2');
  });

  it("--set 'x=$(touch PWNED)' is data, never a command", () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    steps:\n      - run: echo \${x} > out; echo "quoted \${x}" >> out\n`,
        'vars:\n  x: { default: safe }\n',
      ),
    );
    const evil = '$(touch PWNED)`touch PWNED2`; touch PWNED3';
    expect(box.run(['stage', '1', '--set', `x=${evil}`]).code).toBe(0);
    expect(box.lines('out')).toEqual([evil, `quoted ${evil}`]);
    expect(box.exists('PWNED') || box.exists('PWNED2') || box.exists('PWNED3')).toBe(false);
  });
});

describe('--resume after a kill in a monitor window', () => {
  it('watches the window again in full (a canary hold continues for what was left; a window starts over)', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ id: a, run: "echo do-1 >> log", undo: "echo undo-1 >> log" }]\n    monitor: { duration: 3s, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      ),
    );
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.journal().some((e) => e.event === 'window.started'));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    await exited(child);
    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    const windows = box.journal().filter((e) => e.event === 'window.started');
    expect(windows.map((e) => e.duration_ms)).toEqual([3000, 3000]);
    expect(box.lines('log')).toEqual(['do-1']); // the completed step is not run again
  });
});
