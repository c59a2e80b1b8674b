// The machine, not the runbook: unwritable state, full disk, damaged journal or snapshot. Exit 6, one clear line, never 1.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exited, runbook, sandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { BIN, ROOT, type Result } from '../helpers/cli.js';

const stage = (id: number) =>
  `  - id: ${id}\n    name: s${id}\n    steps:\n      - { id: a${id}, run: "echo do-${id} >> log", undo: "echo undo-${id} >> log" }\n`;

/** One line of stderr, no stack, no "internal error". */
function oneLine(r: Result, code = 6): string {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/internal error| {4}at /);
  return r.stderr.split('\n')[0] ?? '';
}

// chattr +i is the one way to make a file unwritable for root; where it is missing the tests that need it are skipped.
const immutable: string[] = [];
const chattr = (flag: '+i' | '-i', path: string) => spawnSync('chattr', [flag, path]).status === 0;
const canChattr = (() => {
  const box = sandbox(runbook(stage(1)));
  const ok = chattr('+i', join(box.dir, 'migrate.yaml'));
  if (ok) chattr('-i', join(box.dir, 'migrate.yaml'));
  return ok;
})();
function freeze(path: string) {
  expect(chattr('+i', path)).toBe(true);
  immutable.push(path);
}
afterEach(() => {
  for (const p of immutable.splice(0)) chattr('-i', p);
});

const noTempFiles = (box: Sandbox) =>
  expect(readdirSync(join(box.dir, '.migrate')).filter((f) => /tmp|stale/.test(f))).toEqual([]);

describe('unusable state', () => {
  it('--state-dir naming a file: exit 6 with one line, for status and stage', () => {
    const box = sandbox(runbook(stage(1)), { afile: '' });
    for (const cmd of [['status'], ['stage', '1']]) {
      expect(oneLine(box.run([...cmd, '--state-dir', 'afile']))).toMatch(/afile.*not a directory/);
    }
  });

  it.each([
    ['.migrate, a symlink to nowhere', (dir: string) => symlinkSync(join(dir, 'gone'), join(dir, '.migrate')), []],
    [
      '--state-dir, a symlink to nowhere',
      (dir: string) => symlinkSync(join(dir, 'gone'), join(dir, 'st')),
      ['--state-dir', 'st'],
    ],
  ] as const)('%s: every command says the state dir is unreachable (exit 6), nothing runs', (_name, make, extra) => {
    const box = sandbox(runbook(stage(1)));
    rmSync(join(box.dir, '.migrate'), { recursive: true, force: true });
    make(box.dir);
    for (const cmd of [
      ['stage', '1', '--yes'],
      ['status'],
      ['status', '--json'],
      ['rollback', '--yes'],
      ['unlock'],
      ['history'],
    ]) {
      expect(oneLine(box.run([...cmd, ...extra])), cmd.join(' ')).toMatch(/symbolic link to .*gone.*does not exist/);
    }
    expect(box.exists('log')).toBe(false);
    expect(box.exists('gone')).toBe(false);
  });

  it.each([['/proc/migrate-x/state'], ['/proc/self/migrate-x'], ['afile/sub']])(
    '--state-dir %s that cannot be made: exit 6 with one line, promptly',
    (dir) => {
      const box = sandbox(runbook(stage(1)), { afile: '' });
      // Node's recursive mkdir spins forever under /proc and no signal handler runs: coreutils' timeout SIGKILLs it.
      const p = spawnSync(
        'timeout',
        ['-s', 'KILL', '10', process.execPath, BIN, 'stage', '1', '--yes', '--state-dir', dir],
        {
          cwd: box.dir,
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1', CI: '1' },
        },
      );
      const r = { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
      expect(r.code, 'it hung and was killed').not.toBe(-1);
      expect(oneLine(r)).toMatch(/cannot (create|use) the state directory/);
      expect(box.exists('log')).toBe(false);
    },
  );

  it('a state dir path too long for the system: exit 6 with one short line, for every command', () => {
    const box = sandbox(runbook(stage(1)));
    const long = `/tmp/x/${Array.from({ length: 30 }, () => 'a'.repeat(200)).join('/')}`;
    for (const cmd of [
      ['status'],
      ['status', '--json'],
      ['plan', '1'],
      ['stage', '1', '--yes'],
      ['history'],
      ['rollback', '--yes'],
      ['unlock'],
    ]) {
      const line = oneLine(box.run([...cmd, '--state-dir', long]));
      expect(line, cmd.join(' ')).toMatch(/too long/);
      expect(line.length).toBeLessThan(300);
    }
    expect(box.exists('log')).toBe(false);
  });

  it('a symlink loop as the state dir: exit 6 saying so', () => {
    const box = sandbox(runbook(stage(1)));
    symlinkSync(join(box.dir, 'lb'), join(box.dir, 'la'));
    symlinkSync(join(box.dir, 'la'), join(box.dir, 'lb'));
    for (const cmd of [['status'], ['stage', '1', '--yes']])
      expect(oneLine(box.run([...cmd, '--state-dir', 'la']))).toMatch(/loop of symbolic links/);
  });

  it('a chain of symlinks to nowhere names where it ends', () => {
    const box = sandbox(runbook(stage(1)));
    symlinkSync('nowhere', join(box.dir, 'd1'));
    symlinkSync('d1', join(box.dir, 'd2'));
    expect(oneLine(box.run(['status', '--state-dir', 'd2']))).toMatch(
      /symbolic link to .*\/nowhere, which does not exist/,
    );
  });

  it('an empty MIGRATE_STATE_DIR is unset; an empty --state-dir is refused (exit 2)', () => {
    const box = sandbox(runbook(stage(1)));
    expect(box.run(['stage', '1', '--yes'], { MIGRATE_STATE_DIR: '' }).code).toBe(0);
    expect(box.exists('.migrate/journal.jsonl')).toBe(true);
    expect(box.exists('journal.jsonl')).toBe(false);
    expect(oneLine(box.run(['status', '--state-dir', '']), 2)).toMatch(/--state-dir is empty/);
  });

  it.each([['/proc/migrate-x/y'], ['/sys/migrate-x'], ['dangling/sd']])(
    'plan names --state-dir %s, where a run could not create it, as a blocker',
    (dir) => {
      const box = sandbox(runbook(stage(1)));
      symlinkSync(join(box.dir, 'nowhere'), join(box.dir, 'dangling'));
      const r = box.run(['plan', '1', '--json', '--state-dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      const { readiness } = JSON.parse(r.stdout) as { readiness: { blockers: string[] } };
      expect(readiness.blockers).toEqual([expect.stringMatching(/procfs|sysfs|does not exist/)]);
    },
  );

  it('a journal that is a directory: exit 6, naming it', () => {
    const box = sandbox(runbook(stage(1)));
    mkdirSync(join(box.dir, '.migrate/journal.jsonl'), { recursive: true });
    expect(oneLine(box.run(['status']))).toMatch(/journal\.jsonl.*is a directory/);
    expect(oneLine(box.run(['stage', '1']))).toMatch(/journal\.jsonl.*is a directory/);
    expect(box.exists('log')).toBe(false);
  });

  it.skipIf(!canChattr)('a read-only journal: stage exits 6 before running anything; status still works', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    freeze(join(box.dir, '.migrate/journal.jsonl'));
    expect(oneLine(box.run(['stage', '2']))).toMatch(/journal\.jsonl.*(not permitted|read-only)/);
    expect(box.lines('log')).toEqual(['do-1']);
    expect(box.status()).toMatchObject({ current_stage: 1, state: 'clean' });
  });

  it.skipIf(!canChattr)('plan names a read-only state dir or journal as a blocker (text and --json)', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.run(['plan', '2']).stdout).not.toMatch(/would block/);
    freeze(join(box.dir, '.migrate/journal.jsonl'));
    const text = box.run(['plan', '2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/would block: .*journal\.jsonl is not writable/);
    const json = JSON.parse(box.run(['plan', '2', '--json']).stdout) as { readiness: { blockers: string[] } };
    expect(json.readiness.blockers).toEqual([expect.stringMatching(/journal\.jsonl is not writable/)]);
  });

  it.skipIf(!canChattr)('a read-only state dir: exit 6, not 1', () => {
    const box = sandbox(runbook(stage(1)));
    mkdirSync(join(box.dir, '.migrate'));
    freeze(join(box.dir, '.migrate'));
    expect(oneLine(box.run(['stage', '1']))).toMatch(/\.migrate.*(not permitted|read-only|permission)/);
    expect(box.exists('log')).toBe(false);
  });

  it.skipIf(!canChattr)(
    'the journal becomes read-only mid-stage: exit 6, and status names the step whose outcome was lost',
    () => {
      const box = sandbox(
        runbook(
          `  - id: 1\n    name: s1\n    steps:\n      - { id: a, run: "echo a >> log; chattr +i .migrate/journal.jsonl", undo: "echo undo-a >> log" }\n      - { id: b, needs: [a], run: "echo b >> log", undo: "echo undo-b >> log" }\n`,
        ),
      );
      immutable.push(join(box.dir, '.migrate/journal.jsonl'));
      const r = box.run(['stage', '1']);
      expect(oneLine(r)).toMatch(/journal\.jsonl/);
      expect(box.lines('log')).toEqual(['a']); // b never started: it could not be journaled
      chattr('-i', join(box.dir, '.migrate/journal.jsonl'));
      expect(box.status()).toMatchObject({
        state: 'interrupted',
        active: { stage: 1, completed_steps: [], in_doubt: ['a'] },
      });
      expect(box.run(['rollback', '--yes']).code).toBe(0);
      expect(box.lines('log')).toEqual(['a', 'undo-a']);
      noTempFiles(box);
    },
  );

  // A real full disk: a tiny tmpfs, filled. Root (CI, this machine) can mount one; elsewhere it is skipped.
  const tmpfs = (() => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-full-'));
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status === 0 ? dir : null;
  })();
  afterAll(() => {
    if (tmpfs) spawnSync('umount', ['-l', tmpfs]);
  });

  it.skipIf(!tmpfs)(
    'a disk that is full (a filled tmpfs): exit 6 with ENOSPC named, nothing ran, no temp files left',
    () => {
      const box = sandbox(runbook(stage(1)));
      const dir = join(tmpfs!, 'state');
      mkdirSync(dir, { mode: 0o700 });
      spawnSync('sh', ['-c', `head -c 1000000 /dev/zero > ${tmpfs}/filler`]);
      const r = box.run(['stage', '1', '--state-dir', dir]);
      expect(oneLine(r)).toMatch(/no space left/i);
      expect(box.exists('log')).toBe(false);
      expect(readdirSync(dir).filter((f) => /tmp/.test(f))).toEqual([]);
    },
  );

  it.skipIf(!tmpfs)(
    'the disk fills mid-stage (a step fills the tmpfs): exit 6, status names what ran once there is room, rollback undoes it',
    () => {
      // The step's 8 KB of output is journaled with its outcome: more than the journal's last page has room for.
      const disk = mkdtempSync(join(tmpdir(), 'migrate-filling-'));
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]).status).toBe(0);
      try {
        const state = join(disk, 'state');
        const box = sandbox(
          runbook(
            `  - id: 1\n    name: s1\n    steps:\n      - { id: a, run: "echo a >> log; head -c 1000000 /dev/zero > ${disk}/filler; seq -f %0200g 40", undo: "echo undo-a >> log" }\n      - { id: b, run: "echo b >> log", undo: "echo undo-b >> log" }\n`,
          ),
        );
        const r = box.run(['stage', '1', '--state-dir', state]);
        expect(oneLine(r)).toMatch(/no space left/i);
        expect(box.lines('log')).toEqual(['a']); // b never started: it could not be journaled
        rmSync(join(disk, 'filler'));
        expect(JSON.parse(box.run(['status', '--json', '--state-dir', state]).stdout)).toMatchObject({
          state: 'interrupted',
          active: { stage: 1, completed_steps: [], in_doubt: ['a'] },
        });
        expect(box.run(['rollback', '--yes', '--state-dir', state]).code).toBe(0);
        expect(box.lines('log')).toEqual(['a', 'undo-a']);
        expect(readdirSync(state).filter((f) => /tmp/.test(f))).toEqual([]);
      } finally {
        spawnSync('umount', ['-l', disk]);
      }
    },
  );

  it('a full disk (the journal on /dev/full): exit 6, nothing ran, no temp files left', () => {
    const box = sandbox(runbook(stage(1)));
    mkdirSync(join(box.dir, '.migrate'));
    symlinkSync('/dev/full', join(box.dir, '.migrate/journal.jsonl'));
    expect(oneLine(box.run(['stage', '1']))).toMatch(/(no space left|symbolic link)/);
    expect(box.exists('log')).toBe(false);
    noTempFiles(box);
  });
});

describe('a damaged journal or snapshot', () => {
  it('a null line: status, history and rollback work and name the line; stage refuses with exit 6', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    lines.splice(2, 0, 'null');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const s = box.run(['status', '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(s.stderr).toMatch(/journal\.jsonl:3.*not an event/);
    expect(box.run(['history', '--json']).code).toBe(0);
    expect(oneLine(box.run(['stage', '2']))).toMatch(/journal\.jsonl:3/);
    const rb = box.run(['rollback', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout + rb.stderr).toMatch(/journal\.jsonl:3/);
    expect(box.lines('log')).toEqual(['do-1', 'undo-1']);
  });

  it('a snapshot with "projections": null is rebuilt from the journal', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    writeFileSync(join(box.dir, '.migrate/snapshot.json'), '{"version":1,"offset":0,"projections":null}');
    const s = box.run(['status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(s.stderr).toMatch(/snapshot\.json.*rebuilt from the journal/);
    expect(box.run(['stage', '2']).code).toBe(0);
    expect(box.status().current_stage).toBe(2);
    noTempFiles(box);
  });

  it.each([
    ['a negative offset', { offset: -5 }],
    ['a negative line count', { lines: -1 }],
    ['an offset past any file', { offset: 2 ** 53 + 1 }],
  ])('a snapshot with %s is rebuilt from the journal (status, rollback, emergency)', (_name, patch) => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const snap = join(box.dir, '.migrate/snapshot.json');
    const spoil = () => writeFileSync(snap, JSON.stringify({ ...JSON.parse(readFileSync(snap, 'utf8')), ...patch }));
    spoil();
    const s = box.run(['status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(s.stderr).toMatch(/snapshot\.json.*rebuilt from the journal/);
    spoil();
    const rb = box.run(['rollback', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'undo-1']);
    expect(box.run(['stage', '1']).code).toBe(0);
    spoil();
    const em = box.run(['rollback', '--emergency', '--yes', '--reason', 'test']);
    expect(em.code, em.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'undo-1', 'do-1', 'undo-1']);
  });

  it.each([
    ['an active stage without its steps', (p: Record<string, unknown>) => (p.active = { stage: 2 })],
    ['an active stage that is a number', (p: Record<string, unknown>) => (p.active = 5)],
    ['a rollback in progress that is a list', (p: Record<string, unknown>) => (p.rolling = [1])],
    [
      'an applied stage that is text',
      (p: Record<string, unknown>) => ((p.applied as { stage: unknown }[])[0]!.stage = 'x'),
    ],
  ])('a snapshot whose projection has %s is rebuilt from the journal (status, plan)', (_name, spoil) => {
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/snapshot.json');
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { projections: Record<string, Record<string, unknown>> };
    spoil(Object.values(snap.projections)[0]!);
    writeFileSync(file, JSON.stringify(snap));
    const s = box.run(['status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(s.stderr).toMatch(/snapshot\.json.*rebuilt from the journal/);
    writeFileSync(file, JSON.stringify(snap));
    const plan = box.run(['plan', '2']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/ready: current stage is 1/);
  });

  it('a hold whose journaled length is not a number is damage: --resume does not hang on it', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ id: a, run: "echo do-1 >> log", undo: "echo undo-1 >> log" }]\n    canary:\n      weights: [10]\n      hold: 20s\n      interval: 100ms\n      set: { run: "echo \${weight} > weight", undo: "echo 0 > weight" }\n      checks: [{ name: ok, command: "echo 1", expect: value == 1 }]\n`,
      ),
    );
    const child = box.spawn(['stage', '1']);
    await waitFor(
      () => box.exists('.migrate/journal.jsonl') && box.read('.migrate/journal.jsonl').includes('"window.started"'),
    );
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const at = lines.findIndex((l) => l.includes('"window.started"'));
    lines[at] = lines[at]!.replace(/"duration_ms":\d+/, '"duration_ms":{"a":1}');
    writeFileSync(file, `${lines.join('\n')}\n`);
    rmSync(join(box.dir, '.migrate/snapshot.json'), { force: true });
    const s = box.run(['status']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(new RegExp(`journal\\.jsonl:${at + 1} is not an event \\(bad duration_ms\\)`));
    // A damaged journal blocks stages (exit 6, naming the line) instead of holding for a length nobody knows.
    const r = box.run(['stage', '1', '--resume']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`journal\\.jsonl:${at + 1}`));
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.read('weight').trim()).toBe('0');
  }, 30_000);

  it.each([
    ['a stage that is not a number', '"stage":"abc"'],
    ['a stage that is not a whole number', '"stage":1e308'],
    ['a step list that is not a list', '"stage":1,"completed":"a1"'],
  ])('an event with a wrong field (%s) is damage, named by its line, not a decision', (_name, fields) => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const n = readFileSync(file, 'utf8').split('\n').filter(Boolean).length + 1;
    writeFileSync(file, `{"ts":"x","run_id":"r","runbook":"t","event":"stage.started",${fields}}\n`, { flag: 'a' });
    const s = box.run(['status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    expect(s.stderr).toMatch(new RegExp(`journal\\.jsonl:${n}.*not an event`));
    expect(oneLine(box.run(['stage', '2']))).toMatch(new RegExp(`journal\\.jsonl:${n}`));
    const rb = box.run(['rollback', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'undo-1']);
  });

  it('a journal truncated to half is noticed: status warns, stage refuses with exit 6', () => {
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3)));
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const text = readFileSync(file, 'utf8');
    const half = text.slice(0, text.length / 2);
    truncateSync(file, half.lastIndexOf('\n') + 1);
    const s = box.run(['status']);
    expect(s.code).toBe(0);
    expect(s.stderr).toMatch(/journal\.jsonl.*(truncated|shorter)/);
    expect(oneLine(box.run(['stage', '3']))).toMatch(/truncated|shorter/);
    expect(box.lines('log')).toEqual(['do-1', 'do-2']);
  });

  it('a rollback refuses to act on a journal that lost a stage a read once saw (plain and emergency, exit 6)', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const afterOne = readFileSync(file, 'utf8').length;
    expect(box.run(['stage', '2']).code).toBe(0);
    expect(box.status().current_stage).toBe(2); // this read is what the snapshot remembers
    truncateSync(file, afterOne); // stage 2's events are gone; stage 1 is whole
    for (const args of [
      ['rollback', '--yes'],
      ['rollback', '--emergency', '--yes', '--reason', 'spike'],
      ['rollback', '--to', '0', '--yes'],
    ]) {
      const r = box.run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(6);
      expect(oneLine(r), args.join(' ')).toMatch(/lost events: a read before saw stages 1, 2 applied/);
      // Undoing stage 1 under stage 2, which is still applied, is what this refuses.
      expect(box.lines('log')).toEqual(['do-1', 'do-2']);
    }
    // A person who has undone stage 2 by hand says so by removing the snapshot: the journal's view then decides.
    rmSync(join(box.dir, '.migrate/snapshot.json'));
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'undo-1']);
  });
});

describe('a journal that lost events (review)', () => {
  it('losing only events of no consequence (the last run.finished) refuses nothing, then or later', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'undo-2', 'undo-1']);
  });

  it('a restored journal settles it: later rollbacks go through', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const afterOne = readFileSync(file, 'utf8');
    expect(box.run(['stage', '2']).code).toBe(0);
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, afterOne);
    expect(box.run(['rollback', '--yes']).code).toBe(6);
    const s = box.run(['status', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 1, lost: { stage: 2, seen: 'stages 1, 2 applied' } });
    expect(s.stderr).toMatch(/every rollback refuses: the journal lost events: a read before saw stages 1, 2 applied/);
    writeFileSync(file, whole); // the backup, restored
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 2, lost: null });
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('log')).toEqual(['do-1', 'do-2', 'undo-2', 'undo-1']);
  });

  it('a journal cut back to before a stage that a killed run had begun is noticed (the stage start is saved)', async () => {
    const box = sandbox(
      runbook(
        stage(1) +
          `  - id: 2\n    name: s2\n    steps:\n      - { id: a2, run: "echo do-2 >> log; sleep 30", undo: "echo undo-2 >> log" }\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    const file = join(box.dir, '.migrate/journal.jsonl');
    const backup = readFileSync(file, 'utf8');
    const child = box.spawn(['stage', '2']);
    await waitFor(() => box.lines('log').includes('do-2'));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    writeFileSync(file, backup); // "restore the journal" from before stage 2
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(6);
    expect(oneLine(r)).toMatch(/lost.*stage 2/);
    expect(box.lines('log')).toEqual(['do-1', 'do-2']);
  });
});

describe('a journal that lost events (second review)', () => {
  const twoSteps =
    stage(1) +
    `  - id: 2\n    name: s2\n    steps:\n      - { id: b1, run: "echo do-b1 >> log", undo: "echo undo-b1 >> log" }\n      - { id: b2, run: "echo do-b2 >> log", undo: "echo undo-b2 >> log" }\n`;
  const journal = (box: Sandbox) => join(box.dir, '.migrate/journal.jsonl');

  it('a completed stage cut back to "in progress" refuses: undoing b1 alone would leave b2 on a stage 1 undone', () => {
    const box = sandbox(runbook(twoSteps));
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const lines = readFileSync(journal(box), 'utf8').split('\n');
    const b1 = lines.findIndex((l) => l.includes('"step.succeeded"') && l.includes('"step":"b1"'));
    writeFileSync(journal(box), `${lines.slice(0, b1 + 1).join('\n')}\n`);
    const r = box.run(['rollback', '--to', '0', '--yes']);
    expect(r.code, r.stderr).toBe(6);
    expect(oneLine(r)).toMatch(
      /saw stages 1, 2 applied; the journal now shows stage 1 applied; stage 2 in progress \(b1 done\)/,
    );
    expect(box.lines('log')).toEqual(['do-1', 'do-b1', 'do-b2']);
  });

  it('a lost rollback refuses: the undos would run again', () => {
    const box = sandbox(runbook(twoSteps));
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    const older = readFileSync(journal(box), 'utf8');
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    writeFileSync(journal(box), older); // an older copy restored
    const s = box.run(['status', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ lost: { stage: 1, seen: 'stage 1 applied' } });
    const r = box.run(['rollback', '--yes']);
    expect(r.code, r.stderr).toBe(6);
    expect(box.lines('log')).toEqual(['do-1', 'do-b1', 'do-b2', 'undo-b2', 'undo-b1']);
  });

  it('a deleted journal is noticed by status, and every rollback refuses', () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['up', '--to', '2']).code).toBe(0);
    rmSync(journal(box));
    const s = box.run(['status', '--json']);
    expect(s.stderr).toMatch(/journal\.jsonl is gone/);
    expect(JSON.parse(s.stdout)).toMatchObject({ current_stage: 0, lost: { stage: 2 } });
    expect(box.run(['status']).stdout).not.toContain('nothing has run with this state dir');
    const r = box.run(['rollback', '--emergency', '--reason', 'x', '--yes']);
    expect(r.code, r.stderr).toBe(6);
    // A stage's refusal names what to do about the loss, not a rollback that refuses too.
    const st = box.run(['stage', '1']);
    expect(st.code).toBe(6);
    expect(st.stderr).toMatch(/restore the journal/);
    expect(st.stderr).not.toMatch(/'migrate rollback' still work/);
    expect(box.lines('log')).toEqual(['do-1', 'do-2']);
  });
});

describe('a broken install', () => {
  // PostgreSQL's parser cannot read its WebAssembly: the machine's fault (exit 6, one line), never a crash (exit 1).
  const broken = { NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/no-wasm.mjs')}` };
  const sqlStage = `  - id: 1\n    name: s1\n    steps:\n      - { sql: "ALTER TABLE t ADD COLUMN c int", undo_sql: "ALTER TABLE t DROP COLUMN c", database: "postgres://db/x" }\n`;

  it('validate, plan and stage say the SQL parser cannot load (exit 6), in one line', () => {
    const box = sandbox(runbook(sqlStage));
    for (const args of [
      ['validate', 'migrate.yaml'],
      ['plan', '1'],
      ['stage', '1', '--yes'],
    ]) {
      const r = box.run(args, broken);
      expect(r.code, `${args.join(' ')}: ${r.stderr.slice(0, 500)}`).toBe(6);
      // libpg-query's own loader says what it could not read first; then migrate's one line.
      expect(r.stderr, args.join(' ')).toMatch(
        /^error: cannot load PostgreSQL's SQL parser \(libpg-query\): .*ENOENT/m,
      );
      expect(r.stderr, args.join(' ')).not.toMatch(/internal error|Node\.js v| {4}at /);
      expect(r.stderr.length, args.join(' ')).toBeLessThan(2000);
    }
  });

  it('a runbook that is invalid anyway is still exit 2, whatever the parser', () => {
    const box = sandbox(`version: 1\nname: t\nstages:\n  - id: 1\n    sql: [\n`);
    const r = box.run(['validate', 'migrate.yaml'], broken);
    expect(r.code, r.stderr.slice(0, 500)).toBe(2);
    expect(r.stderr).not.toMatch(/Node\.js v|Unhandled|internal error/);
  });
});
