// Flag steps with exact restore, and canary stages, driven through the built binary.
import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor } from '../helpers/sandbox.js';

const flagsFile = (dir: string) => JSON.parse(readFileSync(join(dir, '.migrate/flags.json'), 'utf8'));

describe('flag steps (file store)', () => {
  const rb = runbook(
    `  - id: 1\n    name: flags\n    steps:\n      - { id: new, flag: { name: brand_new, value: true } }\n      - { id: existing, flag: { name: pool, value: "v2" } }\n      - { id: off, flag: { name: legacy, value: false } }\n`,
  );

  it('sets flags, and rollback restores exactly: a new flag removed, existing values back', () => {
    const box = sandbox(rb);
    box.stateDir();
    writeFileSync(join(box.dir, '.migrate/flags.json'), JSON.stringify({ pool: 'v1', legacy: true, untouched: 7 }));
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(flagsFile(box.dir)).toEqual({ pool: 'v2', legacy: false, untouched: 7, brand_new: true });
    const set = box.journal().filter((e) => e.event === 'flag.set');
    expect(set.map((e) => e.record)).toEqual([
      { name: 'brand_new', previous: { exists: false } },
      { name: 'pool', previous: { exists: true, value: 'v1' } },
      { name: 'legacy', previous: { exists: true, value: true } },
    ]);
    expect(JSON.parse(box.run(['flags', '--json']).stdout)).toEqual(flagsFile(box.dir));
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(flagsFile(box.dir)).toEqual({ pool: 'v1', legacy: true, untouched: 7 });
  });

  it('a failing later step restores the flags automatically', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: flags\n    steps:\n      - { id: f, flag: { name: feature, value: "on" } }\n      - { id: boom, needs: [f], run: "exit 1" }\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(1);
    expect(flagsFile(box.dir)).toEqual({});
  });

  it('plan shows the automatic undo', () => {
    const box = sandbox(rb);
    const g = JSON.parse(box.run(['plan', '1', '--json']).stdout);
    expect(g.rollback.map((r: { action: { display: string } }) => r.action.display)).toEqual([
      'restore flag legacy to its previous value',
      'restore flag pool to its previous value',
      'restore flag brand_new to its previous value',
    ]);
  });
});

describe('flag steps (command store)', () => {
  it('round-trips through get/set/unset commands', () => {
    const cli = `#!/usr/bin/env bash\nf=flags.db; touch $f\ncase "$1" in\n  get) grep "^$2=" $f | cut -d= -f2- ;;\n  set) grep -v "^$2=" $f > $f.t; echo "$2=$3" >> $f.t; mv $f.t $f ;;\n  unset) grep -v "^$2=" $f > $f.t; mv $f.t $f ;;\n  list) printf '{'; sep=; while IFS='=' read -r k v; do printf '%s"%s":"%s"' "$sep" "$k" "$v"; sep=,; done < $f; printf '}\\n' ;;\nesac\n`;
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: flags\n    steps:\n      - { id: a, flag: { name: rollout, value: "50" } }\n      - { id: b, flag: { name: fresh, value: "yes please" } }\n`,
        'flags:\n  store: command\n  get: ./flagctl get ${flag}\n  set: ./flagctl set ${flag} ${value}\n  unset: ./flagctl unset ${flag}\n  list: ./flagctl list\n',
      ),
      { flagctl: cli, 'flags.db': 'rollout=10\n' },
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.lines('flags.db').sort()).toEqual(['fresh=yes please', 'rollout=50']);
    expect(JSON.parse(box.run(['flags', '--json']).stdout)).toEqual({ rollout: '50', fresh: 'yes please' });
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('flags.db')).toEqual(['rollout=10']);
  });
});

describe('parallel flag steps', () => {
  it('write one at a time, so a flag service never sees two writes at once', () => {
    const cli = `#!/usr/bin/env bash\ncase "$1" in\n  get) cat "v.$2" 2>/dev/null ;;\n  set) mkdir busy || exit 9; sleep 0.2; echo "$3" > "v.$2"; rmdir busy ;;\n  unset) rm -f "v.$2" ;;\nesac\n`;
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: flags\n    steps:\n      - { id: a, flag: { name: one, value: 1 } }\n      - { id: b, needs: [], flag: { name: two, value: 2 } }\n      - { id: c, needs: [], flag: { name: three, value: 3 } }\n`,
        'flags:\n  store: command\n  get: ./flagctl get ${flag}\n  set: ./flagctl set ${flag} ${value}\n  unset: ./flagctl unset ${flag}\n',
      ),
      { flagctl: cli },
    );
    const r = box.run(['stage', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(['one', 'two', 'three'].map((f) => box.read(`v.${f}`).trim())).toEqual(['1', '2', '3']);
  });
});

describe('canary stages', () => {
  const canary = (hold: string, extra = '') =>
    runbook(
      `  - id: 1\n    name: rollout\n    canary:\n      weights: [5, 10, 25, 50, 100]\n      hold: ${hold}\n      interval: 100ms\n      set:\n        run: echo \${weight} > weight; echo \${weight} >> weights\n        undo: echo 0 > weight\n      checks:\n        - name: error rate\n          command: 'if [ "$(cat weight)" -ge "$(cat limit 2>/dev/null || echo 1000)" ]; then echo 0.2; else echo 0.01; fi'\n          expect: value < 0.05\n${extra}`,
    );

  it('walks every weight with its hold', () => {
    const box = sandbox(canary('300ms'));
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.lines('weights')).toEqual(['5', '10', '25', '50', '100']);
    const windows = box.journal().filter((e) => e.event === 'window.started');
    expect(windows.map((w) => [w.window, w.duration_ms])).toEqual([
      ['canary:5', 300],
      ['canary:10', 300],
      ['canary:25', 300],
      ['canary:50', 300],
      ['canary:100', 300],
    ]);
    const ts = (ev: string) =>
      box
        .journal()
        .filter((e) => e.event === ev)
        .map((e) => Date.parse(e.ts));
    const started = ts('canary.weight')[0];
    const done = ts('stage.completed')[0];
    expect((done ?? NaN) - (started ?? NaN)).toBeGreaterThanOrEqual(5 * 300);
    const g = JSON.parse(box.run(['plan', '1', '--json']).stdout);
    expect(g.watch_ms).toBe(1500);
  });

  it('a breach at 25% never reaches 50% and leaves weight 0', () => {
    const box = sandbox(canary('300ms'), { limit: '25' });
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(box.lines('weights')).toEqual(['5', '10', '25']);
    expect(box.read('weight').trim()).toBe('0');
    expect(r.stderr).toContain('error rate: 0.2 is not < 0.05');
    expect(box.status()).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('resumes after kill -9 during the 25% hold, at 25%', async () => {
    const box = sandbox(
      canary('300ms')
        .replace('      hold: 300ms\n', '      hold: 300ms\n')
        .replace('weights: [5, 10, 25, 50, 100]', 'weights: [5, 10, { weight: 25, hold: 30s }, 50, 100]'),
    );
    const child = box.spawn(['stage', '1']);
    await waitFor(() => box.lines('weights').includes('25'));
    child.kill('SIGKILL');
    await exited(child);
    expect(box.status()).toMatchObject({ state: 'interrupted' });
    // Shorten the hold so the resumed walk finishes quickly; the journal, not the file, says where we were.
    writeFileSync(join(box.dir, 'migrate.yaml'), canary('300ms'));
    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('weights')).toEqual(['5', '10', '25', '25', '50', '100']);
    expect(box.status()).toMatchObject({ state: 'clean', current_stage: 1 });
  });

  it('a manual hold without a terminal (and no --yes) exits 5 and holds the canary where it is', () => {
    const box = sandbox(canary('manual'));
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('the canary stays at 5%');
    expect(box.read('weight').trim()).toBe('5');
    expect(box.status()).toMatchObject({ state: 'interrupted' });
    expect(box.run(['stage', '1', '--resume', '--yes']).code).toBe(0);
    expect(box.lines('weights')).toEqual(['5', '5', '10', '25', '50', '100']);
  });

  it('rollback of a completed canary stage puts traffic back to 0 first', () => {
    const box = sandbox(canary('300ms', '    rollback: [{ run: "echo cleanup >> log" }]\n'));
    expect(box.run(['stage', '1']).code).toBe(0);
    unlinkSync(join(box.dir, 'weights'));
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.read('weight').trim()).toBe('0');
    expect(box.lines('log')).toEqual(['cleanup']);
    expect(
      box
        .journal()
        .filter((e) => e.event === 'rollback.step')
        .map((e) => e.source),
    ).toEqual(['canary', 'rollback-1']);
  });
});
