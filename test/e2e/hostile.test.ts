// `validate` on hostile input: every file ends in exit 0 or 2 with a located
// message, quickly, never an internal error (stack overflow, quadratic work).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

const head = 'version: 1\nname: x\n';
const stage = (body: string) => `${head}stages:\n  - id: 1\n    name: a\n    irreversible: true\n${body}`;
const check = (expect: string) =>
  stage(`    preflight:\n      - name: c\n        command: "true"\n        expect: "${expect}"\n`);
// Just under the 1 MiB runbook cap: the largest a located diagnostic must handle.
const big = 'a'.repeat(1_000_000);
const chain = (n: number, cycle = false) =>
  stage(
    '    steps:\n' +
      Array.from(
        { length: n },
        (_, i) =>
          `      - { id: s${i}, run: "true"${i ? `, needs: [s${i - 1}]` : cycle ? `, needs: [s${n - 1}]` : ''} }\n`,
      ).join(''),
  );

/** [name, runbook text, exit code, diagnostic code (when 2), line of that diagnostic] */
const cases: [string, () => string, 0 | 2, string?, number?][] = [
  ['3,000-level flow sequence', () => `${head}stages: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 2, 'yaml-too-deep', 3],
  [
    '3,000-level flow mapping',
    () => `${head}stages: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`,
    2,
    'yaml-too-deep',
    3,
  ],
  ['3,000-level block sequence', () => `${head}stages:\n${'- '.repeat(3000)}x\n`, 2, 'yaml-too-deep', 4],
  ['2,000-paren expect', () => check(`${'('.repeat(2000)}value == 0${')'.repeat(2000)}`), 2, 'expr-too-deep', 10],
  ['20,000-paren expect', () => check(`${'('.repeat(20_000)}value == 0${')'.repeat(20_000)}`), 2, 'expr-too-deep', 10],
  ['20,000 nots', () => check(`${'not '.repeat(20_000)}value`), 2, 'expr-too-deep', 10],
  ['20,000 minus signs', () => check(`${'-'.repeat(20_000)}value > 0`), 2, 'expr-too-deep', 10],
  ['20,000-term sum', () => check(`${'1 + '.repeat(20_000)}value > 0`), 2, 'expr-too-deep', 10],
  ['2,000-step needs chain', () => chain(2000), 0],
  ['2,000-step needs cycle', () => chain(2000, true), 2, 'needs-cycle', 8],
  // Past the value limit: refused where the limit is crossed, before the rest is even parsed.
  ['8,000-step needs chain', () => chain(8000), 2, 'yaml-too-large', 2228],
  ['8,000-step needs cycle', () => chain(8000, true), 2, 'yaml-too-large', 2228],
  [
    // Nine levels of ten aliases each: a billion values from a few hundred bytes.
    'an alias bomb',
    () =>
      stage(
        `    steps: [{ run: "true" }]\n    x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n` +
          Array.from(
            { length: 9 },
            (_, i) => `    x${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]\n`,
          ).join(''),
      ),
    2,
    'yaml-alias',
    12,
  ],
  [
    'a merge-key bomb',
    () =>
      stage(
        `    steps: [{ run: "true" }]\n    m0: &m0 {${Array.from({ length: 100 }, (_, i) => `k${i}: 1`).join(', ')}}\n` +
          Array.from({ length: 200 }, (_, i) => `    m${i + 1}: &m${i + 1} {<<: [*m${i}, *m0]}\n`).join(''),
      ),
    2,
    'yaml-merge',
    58,
  ],
  [
    'a 4 MB runbook',
    () => stage(`    risk: "${'a'.repeat(4 << 20)}"\n    steps: [{ run: "true" }]\n`),
    2,
    'file-too-large',
    1,
  ],
  ['1 MB risk', () => stage(`    risk: "${big}"\n    steps: [{ run: "true" }]\n`), 2, 'value', 7],
  ['1 MB unknown key', () => stage(`    ? ${big}\n    : 1\n    steps: [{ run: "true" }]\n`), 2, 'unknown-key', 7],
  ['1 MB var reference', () => stage(`    steps: [{ run: "echo \${${big}}" }]\n`), 2, 'var-undeclared', 7],
  ['1 MB name in an expression', () => check(big), 2, 'expr-unknown-name', 10],
  [
    '1 MB needs',
    () => stage(`    steps: [{ id: a, run: "true" }, { run: "true", needs: [${big}] }]\n`),
    2,
    'needs-unknown',
    7,
  ],
  [
    '1 MB notify event',
    () =>
      `${head}notify: [{ on: ["${big}"], run: "true" }]\nstages: [{ id: 1, name: a, irreversible: true, steps: [{ run: "true" }] }]\n`,
    2,
    'notify-event',
    3,
  ],
];

/** CPU seconds one runbook may take, whatever is in it ("well under a second"): node's own start is ~0.1 s of it. */
const BUDGET_S = 1;

/** Run validate; CPU seconds come from /usr/bin/time where there is one (a loaded machine stretches wall time, not CPU). */
function validate(file: string): { code: number; stdout: string; stderr: string; seconds: number } {
  const dir = tempDir('migrate-hostile-');
  const timeFile = join(dir, 'time');
  const timed = existsSync('/usr/bin/time');
  const cmd = timed ? '/usr/bin/time' : process.execPath;
  const args = [
    ...(timed ? ['-f', '%U %S', '-o', timeFile, process.execPath] : []),
    BIN,
    'validate',
    '--format',
    'json',
    file,
  ];
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  const wall = (Date.now() - t0) / 1000;
  const seconds = timed
    ? readFileSync(timeFile, 'utf8')
        .trim()
        .split('\n')
        .pop()!
        .split(' ')
        .reduce((a, b) => a + Number(b), 0)
    : wall;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds };
}

describe('validate on hostile input', () => {
  it.each(cases)('%s', (name, text, code, diag, line) => {
    const file = join(tempDir('migrate-hostile-'), 'runbook.yaml');
    writeFileSync(file, text());
    const r = validate(file);
    expect(r.stderr, name).not.toMatch(/internal error|RangeError|Maximum call stack/);
    expect(r.code, r.stderr.slice(0, 2000)).toBe(code);
    expect(r.seconds, `${name}: ${r.seconds.toFixed(2)} s of CPU`).toBeLessThan(BUDGET_S);
    // A message that echoes megabytes is not a message.
    expect(r.stdout.length + r.stderr.length).toBeLessThan(20_000);
    if (code === 0) return;
    const diags = JSON.parse(r.stdout) as {
      code: string;
      line: number;
      column: number;
      message: string;
      file: string;
    }[];
    const hit = diags.find((d) => d.code === diag);
    expect(hit, JSON.stringify(diags).slice(0, 2000)).toBeDefined();
    expect(hit!.file).toBe(file);
    expect(hit!.line).toBe(line);
    expect(hit!.column).toBeGreaterThan(0);
  });
});

/** Filled with `unit` to just under the 1 MiB limit: the most work one runbook can ask of validate. */
function atLimit(prefix: string, unit: (i: number) => string, suffix = ''): string {
  const parts = [stage(prefix)];
  let size = parts[0]!.length + suffix.length;
  for (let i = 0; size + unit(i).length < (1 << 20) - 64; i++) {
    parts.push(unit(i));
    size += unit(i).length;
  }
  return parts.join('') + suffix;
}
const one = '    steps: [{ run: "true" }]\n';

/** [shape, runbook text] for the YAML and validation work that scales with the file, each at the size limit. */
const shapes: [string, () => string][] = [
  [
    'chained flow steps',
    () => atLimit('    steps:\n', (i) => `      - { id: s${i}, run: "true"${i ? `, needs: [s${i - 1}]` : ''} }\n`),
  ],
  ['block steps', () => atLimit('    steps:\n', () => '      - run: "true"\n')],
  ['flow steps', () => atLimit('    steps:\n', () => '      - {run: "true"}\n')],
  ['a flow sequence of numbers', () => atLimit(`${one}    x: [`, () => '1,', '1]\n')],
  ['a block sequence of numbers', () => atLimit(`${one}    x:\n`, () => '      - 1\n')],
  ['a flow mapping of distinct keys', () => atLimit(`${one}    x: {`, (i) => `k${i}: 1,`, 'z: 1}\n')],
  ['a block mapping of distinct keys', () => atLimit(`${one}    x:\n`, (i) => `      k${i}: 1\n`)],
  ['aliases', () => atLimit(`${one}    a: &a [1]\n    x: [`, () => '*a,', '*a]\n')],
  [
    'expect expressions',
    () => atLimit('    preflight:\n', (i) => `      - { name: c${i}, command: "true", expect: "value == 0" }\n`),
  ],
];

describe('validate on a runbook at the size limit', () => {
  it.each(shapes)('%s: exit 0 or 2, located, in under a second of CPU', (name, text) => {
    const file = join(tempDir('migrate-hostile-'), 'runbook.yaml');
    writeFileSync(file, text());
    const r = validate(file);
    expect(r.stderr, name).not.toMatch(/internal error|RangeError|Maximum call stack/);
    expect([0, 2], r.stderr.slice(0, 2000)).toContain(r.code);
    expect(r.stdout.length + r.stderr.length).toBeLessThan(20_000);
    if (r.code === 2) {
      const [first] = JSON.parse(r.stdout) as { line: number; column: number; file: string }[];
      expect(first?.file).toBe(file);
      expect(first?.line).toBeGreaterThan(0);
    }
    expect(r.seconds, `${name}: ${r.seconds.toFixed(2)} s of CPU`).toBeLessThan(BUDGET_S);
  });
});

describe('a runbook that never ends', () => {
  // A symlink to /dev/zero: reading it whole aborted node with std::bad_alloc (exit 134) in validate and status.
  it.each([['validate'], ['status'], ['plan', '1']])('%s refuses it with a located error, exit 2', (...args) => {
    const dir = tempDir('migrate-hostile-');
    symlinkSync('/dev/zero', join(dir, 'migrate.yaml'));
    const r = spawnSync(process.execPath, [BIN, '-r', join(dir, 'migrate.yaml'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/over the 1 MiB limit/);
  });
});

it('the value limit is stated in the message, as the docs state it', () => {
  const file = join(tempDir('migrate-hostile-'), 'runbook.yaml');
  writeFileSync(file, chain(8000));
  const hit = (JSON.parse(validate(file).stdout) as { code: string; message: string }[]).find(
    (d) => d.code === 'yaml-too-large',
  );
  expect(hit?.message).toMatch(/^more than 20,000 values/);
});
