// A bad --set value does not block `rollback --emergency`: only the undos that use that value are refused (and recorded).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbook, sandbox } from '../helpers/sandbox.js';

const rb = runbook(
  `  - id: 1\n    name: first\n    steps:\n` +
    `      - { id: a, run: "echo do-a >> log", undo: "echo undo-a >> log" }\n` +
    `      - { id: b, run: "echo do-b \${region} >> log", undo: "echo undo-b \${region} >> log" }\n` +
    `    rollback: [{ pause: "\${settle}" }]\n`,
  `vars:\n  region: { default: eu-west, pattern: "[a-z]+-[a-z]+" }\n  settle: { default: 1s }\n`,
);

describe('rollback --emergency with a bad --set value', () => {
  it('a duration var that is not a duration: the emergency rolls everything back (it waits for nothing anyway)', () => {
    const box = sandbox(rb);
    expect(box.run(['stage', '1']).code).toBe(0);
    const plain = box.run(['rollback', '--yes', '--set', 'settle=soon']);
    expect(plain.code, 'a plain rollback still refuses the bad value').toBe(2);
    const r = box.run(['rollback', '--emergency', '--reason', 'spike', '--yes', '--set', 'settle=soon']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*settle.*soon/);
    expect(box.lines('log')).toEqual(['do-a', 'do-b eu-west', 'undo-b eu-west', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 0 });
  });

  it("a value that breaks its var's pattern: the undos that do not use it run; the one that does is refused, recorded, exit 3", () => {
    const box = sandbox(rb);
    expect(box.run(['stage', '1']).code).toBe(0);
    const r = box.run(['rollback', '--emergency', '--reason', 'spike', '--yes', '--set', 'region=EU WEST']);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/warning: .*region.*pattern/);
    expect(r.stderr).toMatch(/undo b.*region/);
    // Never run with the bad value, and never with another value in its place.
    expect(box.lines('log')).toEqual(['do-a', 'do-b eu-west', 'undo-a']);
    expect(box.status()).toMatchObject({ state: 'dirty' });
    const failed = box.journal().find((e) => e.event === 'rollback.step' && e.source === 'b');
    expect(failed).toMatchObject({ ok: false });
  });

  it('is not refused by the SQL lint, which it does not load (the fastest path; the SQL was linted when its stage ran)', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: first\n    steps:\n      - { id: a, run: "echo do-a >> log", undo: "echo undo-a >> log" }\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    // The runbook changed since: a later stage's SQL no longer parses.
    writeFileSync(
      join(box.dir, 'migrate.yaml'),
      `${box.read('migrate.yaml')}  - id: 2\n    name: second\n    steps:\n      - { sql: "DROP TABLEE users", undo: "true", database: "postgres://localhost/x" }\n`,
    );
    expect(box.run(['rollback', '--yes']).code, 'a plain rollback still validates everything').toBe(2);
    const r = box.run(['rollback', '--emergency', '--reason', 'spike', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-a', 'undo-a']);
  });
});
