// Stages run by the built binary: steps write files, the journal explains.
import { describe, expect, it } from 'vitest';
import { alive, runbook, sandbox } from '../helpers/sandbox.js';

const step = (id: string, extra = '') =>
  `      - id: ${id}\n        run: echo ${id} >> log\n        undo: echo undo-${id} >> log\n${extra}`;

describe('a stage', () => {
  it('runs, is journaled, and a second run is a no-op', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: one\n    steps:\n${step('a')}${step('b', '        needs: [a]\n')}`),
    );
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'b']);
    expect(box.status()).toMatchObject({
      runbook: 't',
      current_stage: 1,
      state: 'clean',
      lock: null,
      last_run: { outcome: 'succeeded', command: 'stage 1', stages: [1] },
    });
    const again = box.run(['stage', '1']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already applied');
    expect(box.lines('log')).toEqual(['a', 'b']);
    for (const e of box.journal())
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining(['ts', 'run_id', 'runbook', 'digest', 'event', 'operator']),
      );
  });

  it('out of order exits 2 and names the stage to run first', () => {
    const box = sandbox(
      runbook(
        `  - { id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }\n  - { id: 2, name: two, irreversible: true, steps: [{ run: "true" }] }\n  - { id: 3, name: three, irreversible: true, steps: [{ run: "true" }] }\n`,
      ),
    );
    const r = box.run(['stage', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stage 3 needs stage 2 first');
    expect(r.stderr).toContain("run 'migrate stage 1'");
  });

  it('a failing step undoes completed steps in reverse completion order, then the stage rollback', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n${step('a')}${step('b', '        needs: [a]\n')}      - id: c\n        needs: [b]\n        run: echo boom >&2; exit 3\n        undo: echo undo-c >> log\n    rollback:\n      - run: echo stage-rollback >> log\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("step 'c' failed: exited with code 3");
    expect(box.lines('log')).toEqual(['a', 'b', 'undo-b', 'undo-a', 'stage-rollback']);
    expect(box.status()).toMatchObject({ current_stage: 0, state: 'clean' });
    expect(box.history()[0]).toMatchObject({
      outcome: 'rolled_back',
      reason: expect.stringContaining("step 'c' failed"),
    });
    expect(box.journal().find((e) => e.event === 'step.failed')?.tail).toContain('boom');
  });

  it('--no-auto-rollback leaves the stage for the operator', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: one\n    steps:\n${step('a')}      - { id: c, needs: [a], run: "exit 1" }\n`),
    );
    expect(box.run(['stage', '1', '--no-auto-rollback']).code).toBe(1);
    expect(box.lines('log')).toEqual(['a']);
    expect(box.status()).toMatchObject({
      current_stage: 0,
      state: 'interrupted',
      active: { stage: 1, completed_steps: ['a'] },
    });
    expect(box.run(['rollback', '--yes']).code).toBe(0);
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
  });

  it('a failed preflight changes nothing (exit 1)', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    preflight: [{ name: ready, command: "exit 1" }]\n    steps:\n${step('a')}`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('preflight failed');
    expect(box.exists('log')).toBe(false);
    expect(box.journal().map((e) => e.event)).not.toContain('stage.started');
    expect(box.status()).toMatchObject({ current_stage: 0, state: 'clean' });
  });

  it('a gate without a terminal and without --yes exits 5 and changes nothing', () => {
    const box = sandbox(runbook(`  - id: 1\n    name: one\n    confirm: Go?\n    steps:\n${step('a')}`));
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('pass --yes');
    expect(box.exists('log')).toBe(false);
    const ok = box.run(['stage', '1', '--yes']);
    expect(ok.code).toBe(0);
    expect(box.journal().find((e) => e.event === 'gate.answered')).toMatchObject({
      answer: 'yes',
      via: '--yes',
      operator: expect.stringContaining('@'),
    });
  });

  it('retries a flaky step, and fails when retries run out', () => {
    const flaky = `n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 2 ]`;
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - run: '${flaky}'\n        retries: 2\n        retry_delay: 10ms\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.read('count').trim()).toBe('3');
    const short = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - run: '${flaky}'\n        retries: 1\n        retry_delay: 10ms\n`,
      ),
    );
    expect(short.run(['stage', '1']).code).toBe(1);
    expect(short.read('count').trim()).toBe('2');
  });

  it('a timeout kills the whole process tree', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - run: 'sleep 60 & echo $! > child.pid; wait'\n        timeout: 1s\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('timed out');
    const pid = Number(box.read('child.pid'));
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('parallel steps (needs: []) overlap: each starts as soon as its needs are done', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: x, run: "sleep 0.5" }\n      - { id: y, needs: [], run: "sleep 0.5" }\n      - { id: z, needs: [], run: "sleep 0.5" }\n      - { id: slow, needs: [], run: "sleep 1" }\n      - { id: after-x, needs: [x], run: "true" }\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    const events = box.journal();
    const at = (ev: string, s: string) =>
      Date.parse(events.find((e) => e.event === ev && 'step' in e && e.step === s)!.ts);
    const firstDone = Math.min(...['x', 'y', 'z', 'slow'].map((s) => at('step.succeeded', s)));
    for (const s of ['x', 'y', 'z', 'slow']) expect(at('step.started', s)).toBeLessThan(firstDone);
    // after-x starts when x is done, not when the whole level (slow) is done
    expect(at('step.started', 'after-x')).toBeLessThan(at('step.succeeded', 'slow'));
  });

  it('when: false skips a step', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: a, when: 'mode == "fast"', run: "echo a >> log" }\n      - { id: b, run: "echo b >> log" }\n`,
        'vars:\n  mode: { default: slow }\n',
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.lines('log')).toEqual(['b']);
    const box2 = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: a, when: 'mode == "fast"', run: "echo a >> log" }\n`,
        'vars:\n  mode: { default: slow }\n',
      ),
    );
    expect(box2.run(['stage', '1', '--set', 'mode=fast']).code).toBe(0);
    expect(box2.lines('log')).toEqual(['a']);
  });

  it('--dry-run executes and journals nothing, and reports what would block', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: one\n    steps:\n${step('a')}  - id: 2\n    name: two\n    steps:\n${step('b')}`),
    );
    const r = box.run(['stage', '1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing was executed');
    expect(box.exists('log')).toBe(false);
    expect(box.exists('.migrate/journal.jsonl')).toBe(false);
    const blocked = box.run(['stage', '2', '--dry-run']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain('stage 2 needs stage 1 first');
  });
});

describe('monitor windows', () => {
  const counting = (expect: string, extra = '') =>
    runbook(
      `  - id: 1\n    name: one\n    steps:\n${step('a')}    monitor:\n      duration: 30s\n      interval: 100ms\n${extra}      checks:\n        - name: probe\n          command: 'echo x >> samples; cat value'\n          expect: ${expect}\n`,
    );

  it('breaches after exactly tolerate+1 consecutive failed samples, then rolls back', () => {
    const box = sandbox(counting('value < 1', '      tolerate: 2\n'), { value: '5' });
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(box.lines('samples')).toHaveLength(3);
    expect(r.stderr).toContain('probe: 5 is not < 1 (3rd consecutive failure, tolerate 2)');
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
    const samples = box.journal().filter((e) => e.event === 'check.sample');
    expect(samples.map((s) => s.result)).toEqual(['failed', 'failed', 'failed']);
    expect(samples[0]).toMatchObject({
      check: 'probe',
      value: 5,
      expect: 'value < 1',
      probe: expect.stringContaining('cat value'),
    });
    expect(box.history()[0]?.reason).toContain('3rd consecutive failure');
  });

  it('error_limit consecutive probe errors are a breach', () => {
    const box = sandbox(counting('value < 1', '      error_limit: 2\n'), { value: 'not-a-number' });
    expect(box.run(['stage', '1']).code).toBe(1);
    expect(box.lines('samples')).toHaveLength(2);
    expect(
      box
        .journal()
        .filter((e) => e.event === 'check.sample')
        .map((s) => s.result),
    ).toEqual(['error', 'error']);
  });

  it('no data is inconclusive, and counts as failed without a terminal', () => {
    const box = sandbox(counting('value < 1'), { value: '' });
    expect(box.run(['stage', '1']).code).toBe(1);
    expect(box.journal().find((e) => e.event === 'check.sample')).toMatchObject({
      result: 'inconclusive',
      counted_as: 'failed',
    });
  });

  it('a failed verify rolls back', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n${step('a')}    verify:\n      - { name: works, command: "exit 1" }\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('verify failed');
    expect(box.lines('log')).toEqual(['a', 'undo-a']);
  });

  it('on_breach: continue records the breach and completes', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n${step('a')}    monitor:\n      duration: 300ms\n      interval: 100ms\n      on_breach: continue\n      checks: [{ name: probe, command: "echo 5", expect: value < 1 }]\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.journal().filter((e) => e.event === 'monitor.breach').length).toBeGreaterThan(0);
    expect(box.status().current_stage).toBe(1);
  });

  it('guards are watched in every window, with a baseline', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps:\n      - { id: a, run: "echo 300 > latency", undo: "echo 100 > latency" }\n    monitor:\n      duration: 5s\n      interval: 100ms\n`,
        'guards:\n  - name: latency within 2x baseline\n    command: cat latency\n    baseline: true\n    expect: value < baseline * 2\n',
      ),
      { latency: '100' },
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('latency within 2x baseline: 300 is not < 200 (baseline 100 × 2)');
    expect(box.read('latency').trim()).toBe('100');
  });
});

describe('step and stage options', () => {
  it('continue_on_error records the failure and goes on', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: flaky, run: "exit 4", continue_on_error: true }\n      - { id: next, needs: [flaky], run: "echo next >> log" }\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.lines('log')).toEqual(['next']);
    expect(box.journal().find((e) => e.event === 'step.failed')).toMatchObject({
      step: 'flaky',
      continue_on_error: true,
    });
  });

  it('cwd is relative to the runbook; env reaches the process', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { run: 'mkdir -p sub' }\n      - { id: w, needs: [step-1], cwd: sub, env: { GREETING: "hi \${who}" }, run: 'echo "$GREETING" > here' }\n`,
        'vars:\n  who: { default: there }\n',
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.read('sub/here')).toBe('hi there\n');
  });

  it('cwd may contain spaces', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { run: 'mkdir -p "my dir"' }\n      - { needs: [step-1], cwd: my dir, run: 'pwd > here' }\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.read('my dir/here').trim()).toMatch(/my dir$/);
  });

  it.each([
    ['pass', 0],
    ['fail', 1],
  ])('on_no_data: %s', (policy, code) => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    steps: [{ run: "true", undo: "true" }]\n    monitor:\n      duration: 200ms\n      interval: 100ms\n      checks: [{ name: empty, command: "true", expect: value > 1, on_no_data: ${policy} }]\n`,
      ),
    );
    expect(box.run(['stage', '1']).code).toBe(code);
  });

  it('a stage timeout stops the steps and rolls back; gate waits do not count', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    timeout: 1s\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log" }\n      - { id: slow, needs: [a], run: "sleep 20", undo: "echo undo-slow >> log" }\n`,
      ),
    );
    const r = box.run(['stage', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ran out of time: 1s of working time');
    // `slow` was killed mid-way: it is in doubt, so its undo runs too (first: it started last).
    expect(box.lines('log')).toEqual(['a', 'undo-slow', 'undo-a']);
    const paused = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    timeout: 1s\n    irreversible: true\n    steps:\n      - { run: "true" }\n      - { id: wait, needs: [step-1], pause: 1500ms }\n      - { needs: [wait], run: "echo done >> log" }\n`,
      ),
    );
    expect(paused.run(['stage', '1']).code).toBe(0);
    expect(paused.lines('log')).toEqual(['done']);
  });
});
