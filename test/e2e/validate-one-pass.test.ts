// `validate` reports schema errors and every other rule's findings in one pass (issue 9 item 9): CI needs one round, not two.
import { describe, expect, it } from 'vitest';
import { runbook, sandbox } from '../helpers/sandbox.js';

interface Case {
  name: string;
  stages: string;
  head?: string;
  /** code and line:col of each error that must be reported, in order. */
  errors: [string, string][];
}

const stage2 =
  `  - id: 2\n    name: second\n    steps:\n      - { id: b, run: "echo \${nope}", undo: "true", needs: [zz] }\n` +
  `    verify:\n      - { name: v, command: "echo 1", expect: "valeu == 1" }\n`;

const cases: Case[] = [
  {
    name: 'an unknown key in stage 1; an undeclared var, an unknown need and a bad expression name in stage 2',
    stages: `  - id: 1\n    name: first\n    steps:\n      - { run: "true", udno: "true" }\n${stage2}`,
    errors: [
      ['unknown-key', '7:24'],
      ['var-undeclared', '11:29'],
      ['needs-unknown', '11:61'],
      ['expr-unknown-name', '13:48'],
    ],
  },
  {
    name: 'a wrong type in stage 1 (timeout: 5)',
    stages: `  - id: 1\n    name: first\n    timeout: 5\n    steps:\n      - { run: "true", undo: "true" }\n${stage2}`,
    errors: [
      ['type', '6:14'],
      ['var-undeclared', '12:29'],
      ['needs-unknown', '12:61'],
      ['expr-unknown-name', '14:48'],
    ],
  },
  {
    name: 'stage 1 without a name: no follow-on error about it, the rest still checked',
    stages: `  - id: 1\n    steps:\n      - { run: "true", undo: "true" }\n${stage2}`,
    errors: [
      ['missing-key', '4:5'],
      ['var-undeclared', '10:29'],
      ['needs-unknown', '10:61'],
      ['expr-unknown-name', '12:48'],
    ],
  },
  {
    name: 'a malformed step (run: 5) is one error, not also "needs one action"; its stage\'s other steps are still checked',
    stages: `  - id: 1\n    name: first\n    steps:\n      - { run: 5, undo: "true" }\n      - { run: "echo \${nope}", undo: "true" }\n`,
    errors: [
      ['type', '7:16'],
      ['var-undeclared', '8:22'],
    ],
  },
  {
    name: 'an invalid var spec and a schema error elsewhere: the var still counts as declared',
    head: `vars:\n  region: { secret: maybe, default: eu }\n`,
    stages: `  - id: 1\n    name: first\n    risk: hihg\n    steps:\n      - { run: "echo \${region} \${nope}", undo: "true" }\n`,
    errors: [
      ['type', '4:21'],
      ['value', '8:11'],
      ['var-undeclared', '10:32'],
    ],
  },
];

describe('validate reports every problem in one pass', () => {
  it.each(cases)('$name', ({ stages, head, errors }) => {
    const box = sandbox(runbook(stages, head ?? ''));
    const r = box.run(['validate', 'migrate.yaml', '--format', 'json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
    const got = (JSON.parse(r.stdout) as { code: string; line: number; column: number; severity: string }[])
      .filter((d) => d.severity === 'error')
      .map((d) => [d.code, `${d.line}:${d.column}`]);
    expect(got).toEqual(errors);
    const text = box.run(['validate', 'migrate.yaml']);
    expect(text.code).toBe(2);
    for (const [, at] of errors) expect(text.stdout).toContain(`migrate.yaml:${at}`);
  });

  it('a runbook whose stages are not a list reports that alone, without a crash', () => {
    const box = sandbox('version: 1\nname: t\nstages: {a: 1}\nguards: [{ name: g, command: "echo ${x}" }]\n');
    const r = box.run(['validate', 'migrate.yaml', '--format', 'json']);
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout).map((d: { code: string }) => d.code)).toEqual(['type']);
  });
});
