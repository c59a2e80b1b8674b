// plan against the journal, check, history, up, and the NDJSON stream.
import { appendFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const stage = (id: number) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - { id: a${id}, run: "echo do-${id} >> log", undo: "echo undo-a${id} >> log" }\n      - { id: b${id}, needs: [a${id}], run: "true", undo: "echo undo-b${id} >> log" }\n    rollback: [{ name: tidy ${id}, run: "echo tidy-${id} >> log" }]\n`;
const three = runbook(stage(1) + stage(2) + stage(3));

describe('plan reads the journal', () => {
  it('says what would block a real run, and drift', () => {
    const box = sandbox(three);
    expect(JSON.parse(box.run(['plan', '1', '--json']).stdout).readiness).toEqual({
      current_stage: 0,
      already_applied: false,
      blockers: [],
      drift: [],
    });
    expect(JSON.parse(box.run(['plan', '3', '--json']).stdout).readiness.blockers).toEqual([
      'stage 3 needs stage 2 first (current stage is 0)',
    ]);
    box.run(['stage', '1']);
    writeFileSync(
      join(box.dir, '.migrate/t.lock'),
      JSON.stringify({ pid: 1, host: hostname(), operator: 'bob@ops', since: 'now' }),
    );
    const text = box.run(['plan', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('would block: the lock is held by bob@ops');
    appendFileSync(join(box.dir, 'migrate.yaml'), '# changed\n');
    expect(JSON.parse(box.run(['plan', '2', '--json']).stdout).readiness.drift).toEqual([1]);
    expect(box.run(['plan', '1']).stdout).toContain('already applied');
  });

  it('--rollback previews exactly what rollback runs, in order', () => {
    const box = sandbox(three);
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const preview = JSON.parse(box.run(['plan', '--rollback', '--to', '0', '--json']).stdout);
    expect(preview.stages.map((s: { stage: number }) => s.stage)).toEqual([2, 1]);
    expect(preview.stages[0].actions.map((a: { display: string }) => a.display)).toEqual([
      'echo undo-b2 >> log',
      'echo undo-a2 >> log',
      'echo tidy-2 >> log',
    ]);
    expect(box.run(['rollback', '--to', '0', '--yes']).code).toBe(0);
    expect(box.lines('log').slice(2)).toEqual(['undo-b2', 'undo-a2', 'tidy-2', 'undo-b1', 'undo-a1', 'tidy-1']);
    expect(box.run(['plan', '--rollback']).stdout).toContain('nothing to roll back');
  });
});

describe('up', () => {
  it('is one run covering the stages it ran', () => {
    const box = sandbox(three);
    expect(box.run(['up']).code).toBe(0);
    expect(box.history()).toEqual([
      expect.objectContaining({ command: 'up', stages: [1, 2, 3], outcome: 'succeeded' }),
    ]);
    expect(box.status()).toMatchObject({ current_stage: 3, last_run: { command: 'up', outcome: 'succeeded' } });
    expect(box.run(['up']).stdout).toContain('nothing to do');
  });

  it('runs the remaining stages in order and stops at a failure', () => {
    const box = sandbox(
      runbook(stage(1) + `  - id: 2\n    name: s2\n    steps: [{ id: bad, run: "exit 1", undo: "true" }]\n` + stage(3)),
    );
    const r = box.run(['up']);
    expect(r.code).toBe(1);
    expect(box.status().current_stage).toBe(1);
    expect(box.lines('log')).toEqual(['do-1']);
  });
});

describe('--json', () => {
  it('streams one JSON event per line', () => {
    const box = sandbox(runbook(stage(1)));
    const r = box.run(['stage', '1', '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'stage', stage: 1, name: 's1' });
    expect(events.filter((e) => e.type === 'task' && e.state === 'succeeded').map((e) => e.id)).toEqual([
      'step:a1',
      'step:b1',
    ]);
  });
});

describe('check', () => {
  it('prints guard and preflight values, exit 1 when one fails', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    preflight: [{ name: disk, command: "echo 42", expect: value > 10 }]\n    steps: [{ run: "true" }]\n`,
        'guards:\n  - { name: errors, command: "echo 0.2", expect: value < 0.05 }\n',
      ),
    );
    const r = box.run(['check', '1', '--json']);
    expect(r.code).toBe(1);
    const samples = JSON.parse(r.stdout);
    expect(samples).toEqual([
      expect.objectContaining({
        kind: 'guard',
        check: 'errors',
        value: 0.2,
        result: 'failed',
        message: 'errors: 0.2 is not < 0.05',
      }),
      expect.objectContaining({ kind: 'stage 1 preflight', check: 'disk', value: 42, result: 'passed' }),
    ]);
    expect(box.exists('.migrate/journal.jsonl')).toBe(false);
  });

  it('samples a baseline guard live first instead of failing it for a missing baseline', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    steps: [{ run: "true" }]\n`,
        'guards:\n  - { name: latency, command: "echo 120", baseline: true, expect: value < baseline * 2 }\n',
      ),
    );
    const r = box.run(['check', '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ kind: 'guard', check: 'latency', value: 120, result: 'passed' }),
    ]);
    expect(r.code).toBe(0);
  });
});

describe('check during a stage', () => {
  it('judges a baseline guard against the baseline the stage journaled, not a fresh one', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ id: slow, run: "echo 50 > lat; touch started; sleep 30", undo: "true" }]\n`,
        'guards:\n  - { name: latency, command: "cat lat", baseline: true, expect: value < baseline * 2 }\n',
      ),
      { lat: '10\n' },
    );
    const child = box.spawn(['stage', '1']);
    try {
      await waitFor(() => box.exists('started'));
      const r = box.run(['check', '--json']);
      // Live, the baseline would be 50 and the guard would pass; the stage's own is 10, taken before it changed anything.
      expect(JSON.parse(r.stdout)).toEqual([
        expect.objectContaining({
          check: 'latency',
          value: 50,
          result: 'failed',
          message: expect.stringContaining('baseline 10'),
        }),
      ]);
      expect(r.code).toBe(1);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
  });
});

describe('history', () => {
  it('lists runs newest first with outcome, reason, and working and waiting time', () => {
    const box = sandbox(
      runbook(stage(1) + `  - id: 2\n    name: s2\n    steps: [{ id: bad, run: "exit 1", undo: "true" }]\n`),
    );
    box.run(['stage', '1']);
    box.run(['stage', '2']);
    const h = box.history();
    expect(h.map((r) => [r.command, r.outcome, r.stages])).toEqual([
      ['stage 2', 'rolled_back', [2]],
      ['stage 1', 'succeeded', [1]],
    ]);
    for (const r of h) {
      expect(r).toEqual(
        expect.objectContaining({
          run_id: expect.any(String),
          started_at: expect.any(String),
          finished_at: expect.any(String),
          operator: expect.stringContaining('@'),
          working_ms: expect.any(Number),
          waiting_ms: expect.any(Number),
        }),
      );
    }
    expect(h[0]?.reason).toContain("step 'bad' failed");
    expect(JSON.parse(box.run(['history', '--limit', '1', '--json']).stdout)).toHaveLength(1);
    expect(box.run(['history', '--limit', 'x']).code).toBe(2);
  });
});
