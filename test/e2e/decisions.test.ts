// The decisions of issue 8 items 1-5, end to end through the built binary (the engine harness covers the tables).
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/http.js';
import { freshDatabase } from '../helpers/pg.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

const STEP = '    steps: [{ id: a, run: "echo a >> log", undo: "echo undo-a >> log" }]\n';

describe('no data depends on what expect reads', () => {
  it('status == 200 passes on an empty 200 reply', async () => {
    const server = await serve({ '/health': () => ({ status: 200, text: '' }) });
    try {
      const box = sandbox(
        runbook(
          `  - id: 1\n    name: one\n    preflight: [{ name: up, http: { url: "${server.url}/health" }, expect: status == 200 }]\n${STEP}`,
        ),
      );
      const r = await box.runAsync(['stage', '1']);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('rows == 0 passes on an empty result', async () => {
    const url = await freshDatabase();
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    preflight: [{ name: no locks, sql: "SELECT pid FROM pg_locks WHERE false", database: "\${db}", expect: rows == 0 }]\n${STEP}`,
        'vars:\n  db: { env: DATABASE_URL, secret: true }\n',
      ),
    );
    const r = box.run(['stage', '1'], { DATABASE_URL: url });
    expect(r.code, r.stderr).toBe(0);
    expect(box.journal().find((e) => e.event === 'preflight.finished')!.samples[0]).toMatchObject({ result: 'passed' });
  });
});

describe('failure kinds and people', () => {
  it('a pause until confirm without a terminal exits 5 after rolling back the completed steps', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: ask, pause: { until: confirm, message: "Looks fine?" } }\n      - { id: c, run: "echo c >> log", undo: "true" }\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(5);
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
    expect(box.journal().find((e) => e.event === 'stage.failed')).toMatchObject({ kind: 'declined' });
    expect(box.status()).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('a stage timeout is journaled as timeout', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: one\n    timeout: 1s\n    irreversible: true\n    steps: [{ run: "sleep 20" }]\n`),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(box.journal().find((e) => e.event === 'stage.failed')).toMatchObject({ kind: 'timeout' });
  });

  it('verify reads the baseline taken before the stage', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps: [{ id: a, run: "echo 12 > count", undo: "echo 10 > count" }]\n    verify: [{ name: rows kept, command: "cat count", baseline: true, expect: value >= baseline }]\n`,
      ),
      { count: '10' },
    );
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.journal().find((e) => e.event === 'stage.started')).toMatchObject({
      baselines: { 'verify:rows kept': 10 },
    });
  });
});
