// What the live task list shows must be true: nothing "done" that did not run,
// nothing "not run" that was undone, each rollback line once, no colour under NO_COLOR.
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { runbook, sandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { closeTerminals, crashes, inTerminal, requireTmux, type Terminal } from '../helpers/terminal.js';

beforeAll(requireTmux);
afterEach(closeTerminals);

/** The migrate processes running in `dir` (found by their working directory). */
function migratePids(dir: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        return readlinkSync(`/proc/${d}/cwd`) === dir && argv[0] === process.execPath && argv[1] === BIN;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A one-step stage with a 30 s window, whose undo is `undo`. */
const windowed = (undo = 'echo undo-a >> log') =>
  runbook(
    `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: "${undo}" }\n    monitor: { duration: 30s, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
  );

/** `stage N` at a terminal, Ctrl-C in its window: the roll-back question is open. */
async function interruptedInWindow(dir: string, stage = '1'): Promise<Terminal> {
  const t = inTerminal(dir, ['stage', stage]);
  await t.see('left');
  t.keys('C-c');
  await t.see('Roll the stage back now?');
  return t;
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('the live task list tells the truth', () => {
  it('after a failed preflight the steps show as not run, not as done', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    preflight: [{ name: ready, command: "echo 0", expect: value == 1 }]\n    steps:\n      - { id: a, run: "echo a >> log", undo: "true" }\n      - { id: b, run: "echo b >> log", undo: "true" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    expect(await t.code()).toBe(1);
    const screen = t.screen();
    expect(screen).not.toMatch(/✔ steps \(2\)/);
    expect(screen).toMatch(/steps \(2\): not run/);
    expect(box.exists('log')).toBe(false);
  });

  it('steps that ran before the display started show as run, even when the window breaches at once', async () => {
    // The steps and the breach all happen before listr2 draws its first frame.
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: b, run: "echo b >> log", undo: "echo undo-b >> log" }\n    monitor: { duration: 2s, interval: 100ms, checks: [{ name: ok, command: "echo 0", expect: value == 1 }] }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    expect(await t.code()).toBe(1);
    expect(box.lines('log')).toEqual(['a', 'b', 'undo-b', 'undo-a']);
    const screen = t.screen();
    expect(screen).not.toContain('steps (2): not run');
    expect(screen).toMatch(/✔ a/);
    expect(screen).toMatch(/✔ b/);
    expect(screen).toMatch(/✔ rollback stage 1 rolled back/);
  });

  it("Ctrl-C, then yes: the stage's rollback is shown as done, never as not run", async () => {
    const box = sandbox(windowed());
    const t = await interruptedInWindow(box.dir);
    expect(t.screen()).not.toMatch(/rollback stage 1: not run/);
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(130);
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
    const screen = t.screen();
    expect(screen).not.toMatch(/rollback stage 1: not run/);
    expect(screen).toMatch(/✔ rollback stage 1 rolled back/);
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('a canary rollback prints each of its lines once', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: rollout\n    steps:\n      - { id: a, run: "true", undo: "echo undo-a" }\n      - { id: b, run: "true", undo: "echo undo-b" }\n    canary:\n      weights: [10, 50, 100]\n      hold: 300ms\n      interval: 100ms\n      set: { run: "echo \${weight} > weight", undo: "echo 0 > weight" }\n      checks: [{ name: errors, command: 'if [ "$(cat weight)" -ge 50 ]; then echo 0.2; else echo 0.01; fi', expect: value < 0.05 }]\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    expect(await t.code()).toBe(1);
    const all = t.all();
    expect(crashes(all)).toEqual([]);
    expect(count(t.screen(), 'traffic from 50% back to 0%')).toBe(1);
    expect(count(t.screen(), 'undo b')).toBe(1);
    expect(count(t.screen(), 'undo a')).toBe(1);
  });

  it('an emergency rollback shows every stage it undid as rolled back, never as not run', async () => {
    const stage = (n: number) =>
      `  - id: ${n}\n    name: s${n}\n    steps: [{ run: "echo ${n} >> log", undo: "echo undo-${n} >> log" }]\n`;
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3)));
    expect(box.run(['up']).code).toBe(0);
    const t = inTerminal(box.dir, ['rollback', '--emergency', '--reason', 'drill', '--yes']);
    expect(await t.code()).toBe(0);
    const screen = t.screen();
    expect(box.lines('log')).toEqual(['1', '2', '3', 'undo-3', 'undo-2', 'undo-1']);
    expect(screen).not.toContain('not run');
    for (const n of [1, 2, 3]) expect(screen).toMatch(new RegExp(`✔ rollback stage ${n}`));
  });

  it('after Ctrl-C the rollback is not called "not needed", and nothing is ticked that did not finish', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: Long\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: long, run: "touch started; sleep 30", undo: "echo undo-long >> log" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    await t.see('long');
    await new Promise((r) => setTimeout(r, 200));
    while (!box.exists('started')) await new Promise((r) => setTimeout(r, 50));
    t.keys('C-c');
    await t.see('Roll the stage back now?');
    expect(t.screen()).not.toContain('not needed');
    expect(t.screen()).toMatch(/✖ long: stopped/);
    expect(t.screen()).not.toMatch(/✔ t · stage 1/);
    t.keys('n', 'Enter');
    expect(await t.code()).toBe(130);
    expect(t.screen()).not.toMatch(/✔.*(not needed|not run|stopped)/);
  });

  it('Ctrl-C in an irreversible stage asks nothing it would refuse: left as it is, with resume as the way on', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: Once\n    irreversible: true\n    steps:\n      - { id: long, run: "touch started; sleep 30" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    await t.see('long');
    while (!box.exists('started')) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    t.keys('C-c');
    expect(await t.code()).toBe(130);
    const screen = t.screen();
    expect(screen).not.toContain('Roll the stage back');
    expect(screen).toMatch(/stage 1 interrupted: it is left as it is/);
    expect(screen).toContain("'migrate stage 1 --resume'");
    expect(screen).not.toContain("'migrate rollback' to undo it");
  });

  it('Ctrl-C, then no: the rollback that was not run is never ticked', async () => {
    const box = sandbox(windowed());
    const t = await interruptedInWindow(box.dir);
    t.keys('n', 'Enter');
    expect(await t.code()).toBe(130);
    expect(box.lines('log')).toEqual(['a']);
    expect(t.screen()).not.toMatch(/✔ rollback stage 1/);
    expect(t.screen()).toMatch(/rollback stage 1: not run/);
  });

  it('an interrupted rollback left unfinished is shown as interrupted, never ticked', async () => {
    // Step b fails: the automatic rollback's undo of a2 is interrupted, and the operator declines to finish it.
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: a2, run: "echo a2 >> log", undo: "touch undoing; sleep 30; echo undo-a2 >> log" }\n      - { id: b, run: "exit 1", undo: "true" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    await waitFor(() => box.exists('undoing'), 20_000);
    t.keys('C-c');
    await t.see('Finish the rollback now?');
    t.keys('n', 'Enter');
    expect(await t.code()).toBe(130);
    const screen = t.screen();
    expect(screen).not.toMatch(/✔ rollback stage 1/);
    expect(screen).toMatch(/✖ rollback stage 1.*interrupted/);
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({
      state: 'interrupted',
      rolling_back: { stage: 1 },
    });
  });

  it('Ctrl-C during the rollback that the roll-back question started stops it (130), resumable', async () => {
    const box = sandbox(windowed('if [ -e undoing ]; then echo undo-a >> log; else touch undoing; sleep 30; fi'));
    const t = await interruptedInWindow(box.dir);
    t.keys('y', 'Enter');
    await waitFor(() => box.exists('undoing'), 20_000);
    t.keys('C-c');
    expect(await t.code(10_000)).toBe(130);
    expect(t.screen()).toMatch(/✖ rollback stage 1.*interrupted/);
    expect(t.screen()).toContain("'migrate rollback'");
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({
      state: 'interrupted',
      rolling_back: { stage: 1 },
    });
    // The undo in doubt runs again, and only it.
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
  });

  describe('another run acts while the roll-back question is open (the lock is free then)', () => {
    // Stage 1 is applied below; stage 2 is interrupted in its window.
    const two = () =>
      sandbox(
        runbook(
          `  - id: 1\n    name: one\n    steps: [{ id: a, run: "echo a >> log", undo: "echo undo-a >> log" }]\n` +
            `  - id: 2\n    name: two\n    steps:\n      - { id: b, run: "echo b >> log", undo: "echo undo-b >> log" }\n    monitor: { duration: "\${win}", interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
          'vars:\n  win: { default: 30s }\n',
        ),
      );
    // Someone else acts meanwhile (by default: rolls stage 2 back).
    const interrupted = async (box: Sandbox, meanwhile: string[][] = [['rollback', '--yes']]) => {
      expect(box.run(['stage', '1']).code).toBe(0);
      const t = await interruptedInWindow(box.dir, '2');
      for (const args of meanwhile) expect(box.run(args).code, args.join(' ')).toBe(0);
      return t;
    };

    it('yes, after another run rolled back below the stage too: nothing undone, no usage error', async () => {
      const box = two();
      const t = await interrupted(box, [['rollback', '--to', '0', '--yes']]);
      t.keys('y', 'Enter');
      expect(await t.code()).toBe(130);
      expect(box.lines('log')).toEqual(['a', 'b', 'undo-b', 'undo-a']);
      expect(t.screen()).toMatch(/this run undid nothing/);
    });

    it('yes, after another run finished the stage: nothing is undone (not the stage, not what came after)', async () => {
      const box = two();
      const t = await interrupted(box, [['stage', '2', '--resume', '--yes', '--set', 'win=200ms']]);
      t.keys('y', 'Enter');
      expect(await t.code()).toBe(130);
      expect(box.lines('log')).toEqual(['a', 'b']);
      expect(t.screen()).toMatch(/changed by another run while the question was open: this run undid nothing/);
      expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 2, state: 'clean' });
    });

    it('yes: undoes nothing (never the stage below), and does not claim it did', async () => {
      const box = two();
      const t = await interrupted(box);
      t.keys('y', 'Enter');
      expect(await t.code()).toBe(130);
      expect(box.lines('log')).toEqual(['a', 'b', 'undo-b']);
      expect(t.screen()).not.toContain('stage 2 was rolled back');
      expect(t.screen()).toMatch(/this run undid nothing/);
      expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 1, state: 'clean' });
    });

    it('no: says what the journal says now, not "left as it is"', async () => {
      const box = two();
      const t = await interrupted(box);
      t.keys('n', 'Enter');
      expect(await t.code()).toBe(130);
      expect(t.screen()).not.toContain('left as it is');
      expect(t.screen()).toMatch(/nothing is left in progress \(stage 1 is the last applied/);
    });
  });

  it('the rollback that yes starts can itself ask (an undo that pauses for confirmation)', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo a >> log", undo: { pause: { until: confirm } } }\n    monitor: { duration: 30s, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      ),
    );
    const t = await interruptedInWindow(box.dir);
    t.keys('y', 'Enter');
    await t.see('Continue? (y/N)');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(130);
    expect(t.screen()).toContain('stage 1 was rolled back');
    expect(JSON.parse(box.run(['status', '--json']).stdout)).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('SIGTERM while the roll-back question is open ends it: left as it is (130)', async () => {
    const box = sandbox(windowed());
    const t = await interruptedInWindow(box.dir);
    const [pid] = migratePids(box.dir);
    process.kill(pid!, 'SIGTERM');
    expect(await t.code(10_000)).toBe(130);
    expect(box.lines('log')).toEqual(['a']);
    expect(t.screen()).toContain('left as it is');
  });

  it('stdout to a file: the gate is asked on the terminal (stderr), not into the file', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    confirm: Go?\n    steps: [{ id: a, run: "echo a >> log", undo: "true" }]\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1'], {}, { redirect: '> out.txt' });
    await t.see('Go?');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(0);
    expect(box.read('out.txt')).toContain('stage 1 completed');
    expect(box.read('out.txt')).not.toContain('(y/N)');
  });

  it('stdout and stderr to a file: nobody can see a question, so none is asked (exit 5)', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    confirm: Go?\n    steps: [{ id: a, run: "echo a >> log", undo: "true" }]\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1'], {}, { redirect: '> out.txt 2>&1' });
    expect(await t.code(10_000)).toBe(5);
    expect(box.read('out.txt')).toContain('pass --yes');
    expect(box.exists('log')).toBe(false);
  });

  it('a long window of questions (no data, asked every sample) leaks nothing: no node warning', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps: [{ id: a, run: "true", undo: "true" }]\n    monitor: { duration: 60s, interval: 100ms, checks: [{ name: nd, command: "true", expect: value > 0 }] }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    // Past node's limit of 10 listeners on one signal.
    for (let i = 0; i < 13; i++) {
      await waitFor(() => t.screen().trimEnd().endsWith('Go on with the window? (y/N)'), 10_000);
      t.keys('y', 'Enter');
      await waitFor(() => !t.screen().trimEnd().endsWith('Go on with the window? (y/N)'), 10_000);
    }
    t.keys('C-c');
    await t.see('Roll the stage back now?');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(130);
    expect(crashes(t.all()), t.all()).toEqual([]);
  });

  it('NO_COLOR means no colour or dim text anywhere on the board', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps: [{ id: a, run: "echo a", undo: "true" }]\n    monitor: { duration: 300ms, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1']);
    expect(await t.code()).toBe(0);
    // eslint-disable-next-line no-control-regex -- the point is to find ESC sequences
    expect(t.styled()).not.toMatch(/\x1b\[[0-9;]*m/);
  });
});

describe('the outcome line comes last', () => {
  // The runs are over before listr2 draws a frame (its first frame is held back 500 ms).
  const slow = { NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/render-fault.mjs')}`, RENDER_FAULT: 'slow' };
  const lastLine = (screen: string) => screen.trimEnd().split('\n').at(-1);
  const stage = (n: number) => `  - id: ${n}\n    name: s${n}\n    steps: [{ run: "true", undo: "true" }]\n`;

  it('after a fast emergency rollback, below the task list', async () => {
    const box = sandbox(runbook(stage(1) + stage(2)));
    expect(box.run(['up']).code).toBe(0);
    const t = inTerminal(box.dir, ['rollback', '--emergency', '--reason', 'drill', '--yes'], slow);
    expect(await t.code()).toBe(0);
    expect(lastLine(t.screen())).toBe('rolled back stages 2, 1');
  });

  it('after a fast stage, below the task list', async () => {
    const box = sandbox(runbook(stage(1)));
    const t = inTerminal(box.dir, ['stage', '1'], slow);
    expect(await t.code()).toBe(0);
    expect(lastLine(t.screen())).toBe('stage 1 completed');
  });
});

describe('lines (CI, pipes)', () => {
  it.each([
    ['a step', `    steps:\n      - { id: long, run: "touch started; sleep 30", undo: "true" }\n`, /✗ long\s+stopped/],
    [
      'a window',
      `    steps: [{ id: a, run: "touch started", undo: "true" }]\n    monitor: { duration: 30s, interval: 100ms, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      /✗ monitor 30s\s+stopped/,
    ],
    [
      'a canary hold',
      `    steps: [{ id: a, run: "true", undo: "true" }]\n    canary:\n      weights: [{ weight: 5, hold: 30s }, { weight: 50, hold: 30s }]\n      interval: 100ms\n      set: { run: "touch started", undo: "true" }\n`,
      /✗ 5% for 30s\s+stopped at 5%/,
    ],
    [
      'a canary weight being set',
      `    steps: [{ id: a, run: "true", undo: "true" }]\n    canary:\n      weights: [{ weight: 5, hold: 30s }]\n      set: { run: "touch started; sleep 30", undo: "true" }\n`,
      /✗ 5% for 30s\s+stopped while setting 5% \(from 0%\)/,
    ],
  ])('%s stopped by Ctrl-C gets its closing line', async (what, body, closing) => {
    const box = sandbox(runbook(`  - id: 1\n    name: one\n${body}`));
    const run = box.runAsync(['stage', '1']);
    await waitFor(() => box.exists('started'));
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of migratePids(box.dir)) process.kill(pid, 'SIGINT');
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(closing);
    // The last word, too: where the canary's traffic was left.
    if (/canary/.test(body)) expect(r.stderr).toMatch(/canary (traffic stays at|was being set to) 5%/);
    // History says what was interrupted in the words the screen used.
    if (what === 'a canary hold') expect(box.history()[0]?.reason).toMatch(/the canary hold at 5%/);
    if (what === 'a window') expect(box.history()[0]?.reason).toMatch(/the monitor window/);
  });

  it('an emergency rollback names the stage of every undo', () => {
    const stage = (n: number) => `  - id: ${n}\n    name: s${n}\n    steps: [{ run: "true", undo: "true" }]\n`;
    const box = sandbox(runbook(stage(1) + stage(2) + stage(3)));
    expect(box.run(['up']).code).toBe(0);
    const r = box.run(['rollback', '--emergency', '--reason', 'drill', '--yes']);
    expect(r.code).toBe(0);
    for (const n of [1, 2, 3]) expect(r.stdout).toContain(`✓ stage ${n}: undo step-1`);
  });
});

describe('the live task list shows what is happening now (review 4)', () => {
  it('a step waiting for the one before it shows as pending (◼), not with a spinner', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: first, run: "touch started; while [ ! -e go ]; do sleep 0.05; done", undo: "true" }\n      - { id: second, run: "echo second >> log", undo: "true" }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1', '--yes']);
    await waitFor(() => box.exists('started'));
    await t.see('second');
    await new Promise((r) => setTimeout(r, 400)); // a few spinner frames
    const line = t
      .screen()
      .split('\n')
      .find((l) => /\bsecond\b/.test(l))!;
    expect(line.trim(), t.screen()).toMatch(/^◼ second/);
    writeFileSync(join(box.dir, 'go'), '');
    expect(await t.code()).toBe(0);
    expect(t.screen()).toMatch(/✔ second/);
  });

  it('the window countdown ticks between samples, in whole seconds', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps: [{ id: a, run: "true", undo: "true" }]\n    monitor: { duration: 40s, interval: 20s, checks: [{ name: ok, command: "echo 1", expect: value == 1 }] }\n`,
      ),
    );
    const t = inTerminal(box.dir, ['stage', '1', '--yes']);
    await t.see(/\d+s left/);
    const left = () => Number(/(\d+)s left/.exec(t.screen())?.[1]);
    const first = left();
    await new Promise((r) => setTimeout(r, 2500)); // no sample in between: the next is 20 s away
    expect(left(), t.screen()).toBeLessThan(first);
    expect(t.screen()).not.toMatch(/\d+ms left/);
    t.keys('C-c');
    await t.see('Roll the stage back now?');
    t.keys('y', 'Enter');
    expect(await t.code()).not.toBe(0);
  }, 30_000);
});
