/**
 * Steps, undos and canary set steps learn where they run from their
 * environment: MIGRATE_RUNBOOK, MIGRATE_STAGE, MIGRATE_RUN_ID,
 * MIGRATE_OPERATOR, MIGRATE_STATE_DIR.
 */
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runbook, sandbox } from '../helpers/sandbox.js';

const KEYS = ['MIGRATE_RUNBOOK', 'MIGRATE_STAGE', 'MIGRATE_RUN_ID', 'MIGRATE_OPERATOR', 'MIGRATE_STATE_DIR'];
const dump = (file: string) => `env | grep '^MIGRATE_' | grep -v '^MIGRATE_VAR_' | sort > ${file}`;
const parse = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('step environment', () => {
  it('run steps (shell and argv), undos and rollback steps see the run, stage, operator, runbook and state dir', () => {
    const box = sandbox(
      runbook(
        [
          '  - id: 1',
          '    name: one',
          '    steps:',
          `      - { id: a, run: "${dump('a.env')}", undo: "${dump('undo-a.env')}" }`,
          '      - { id: b, run: [sh, -c, "env | grep ^MIGRATE_STAGE= > b.env"] }',
          `    rollback: ["${dump('rb1.env')}"]`,
          '  - id: 2',
          '    name: two',
          '    steps:',
          `      - { id: c, run: "${dump('c.env')}" }`,
          '      - { id: fail, run: "exit 3" }',
          `    rollback: ["${dump('rb2.env')}"]`,
        ].join('\n') + '\n',
      ),
    );
    const one = box.run(['stage', '1', '--yes']);
    expect(one.code, one.stderr).toBe(0);
    const two = box.run(['stage', '2', '--yes']);
    expect(two.code, two.stderr).toBe(1);

    const runs = box.journal().filter((e) => e.event === 'run.started');
    expect(runs).toHaveLength(2);
    const stateDir = realpathSync(join(box.dir, '.migrate'));
    const a = parse(box.read('a.env'));
    expect(Object.keys(a).sort()).toEqual([...KEYS].sort());
    expect(a).toEqual({
      MIGRATE_RUNBOOK: join(realpathSync(box.dir), 'migrate.yaml'),
      MIGRATE_STAGE: '1',
      MIGRATE_RUN_ID: runs[0]?.run_id,
      MIGRATE_OPERATOR: runs[0]?.operator,
      MIGRATE_STATE_DIR: stateDir,
    });
    expect(parse(box.read('b.env'))).toEqual({ MIGRATE_STAGE: '1' });
    // the second run: a new run id, stage 2, also in its rollback steps
    expect(parse(box.read('c.env'))).toMatchObject({ MIGRATE_STAGE: '2', MIGRATE_RUN_ID: runs[1]?.run_id });
    expect(parse(box.read('rb2.env'))).toMatchObject({
      MIGRATE_STAGE: '2',
      MIGRATE_RUN_ID: runs[1]?.run_id,
      MIGRATE_STATE_DIR: stateDir,
    });

    const back = box.run(['rollback', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    const rollbackRun = box.journal().filter((e) => e.event === 'run.started')[2];
    expect(parse(box.read('undo-a.env'))).toMatchObject({ MIGRATE_STAGE: '1', MIGRATE_RUN_ID: rollbackRun?.run_id });
    expect(parse(box.read('rb1.env'))).toMatchObject({ MIGRATE_STAGE: '1', MIGRATE_RUN_ID: rollbackRun?.run_id });
  });

  it('a step env: entry cannot shadow them', () => {
    const box = sandbox(
      runbook(
        [
          '  - id: 1',
          '    name: one',
          '    irreversible: true',
          '    steps:',
          `      - { id: a, run: "${dump('a.env')}", env: { MIGRATE_STAGE: "9", OTHER: "x" } }`,
        ].join('\n') + '\n',
      ),
    );
    const r = box.run(['stage', '1', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(box.read('a.env')).MIGRATE_STAGE).toBe('1');
  });
});
