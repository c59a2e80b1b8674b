// The YAML loader against hostile shapes found by a review: limits that a
// comment, a BOM or an odd anchor name slipped past, empty files, line breaks
// other than \n, keys that are not strings, names that are Object's own, and
// files that are not text. Each ends in exit 0 or 2, located, in bounded time.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

const MIN =
  'version: 1\nname: mini\nstages:\n  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - id: a\n        run: echo hi\n';
const BOGUS = MIN.replace('    name: one\n', '    name: one\n    bogus: 1\n');

/** Ten levels of nine aliases: 9^10 values from a few hundred bytes, written in ways that hid the aliases. */
function laughs(opts: { comment?: boolean; suffix?: string; bom?: boolean }): string {
  const sfx = opts.suffix ?? '';
  let s = `${MIN}x0: &a0${sfx} [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i < 10; i++)
    s += opts.comment
      ? `x${i}: &a${i}\n${`  - *a${i - 1} #\n`.repeat(9)}`
      : `x${i}: &a${i}${sfx} [${Array(9)
          .fill(`*a${i - 1}${sfx}`)
          .join(',')}]\n`;
  return (opts.bom ? '\ufeff' : '') + s;
}

type Diag = { code: string; line: number; column: number; message: string };

function validate(text: string | Buffer, format: 'json' | 'text' = 'json') {
  const file = join(tempDir('migrate-hostile-yaml-'), 'runbook.yaml');
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [BIN, 'validate', '--format', format, file], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 20_000,
  });
  return { ...r, file };
}

/** [name, text, diagnostic code, line, column]: each must exit 2 with that diagnostic there. */
const refused: [string, () => string | Buffer, string, number, number][] = [
  ['aliases followed by comments', () => laughs({ comment: true }), 'yaml-alias', 50, 5],
  ['aliases after a BOM', () => laughs({ bom: true }), 'yaml-alias', 14, 42],
  ['anchor names ending in a no-break space', () => laughs({ suffix: '\u00a0' }), 'yaml-alias', 14, 51],
  [
    'a big anchor aliased with a comment after',
    () => `${MIN}big: &b [${Array(15_000).fill('1').join(',')}]\nc: *b # a comment\n`,
    'yaml-alias',
    11,
    4,
  ],
  ['an empty file', () => '', 'type', 1, 1],
  ['a file of one line break', () => '\n', 'type', 1, 1],
  ['a file of blanks and comments', () => '\n\n   \n# nothing\n', 'type', 1, 1],
  ['a BOM alone', () => '\ufeff', 'type', 1, 1],
  ['an unknown key after a BOM', () => `\ufeff${BOGUS}`, 'unknown-key', 6, 5],
  ['a duplicate key after a BOM', () => `\ufeff${MIN}name: dup\n`, 'yaml-duplicate-key', 10, 1],
  ['lone CR line breaks', () => BOGUS.replace(/\n/g, '\r'), 'unknown-key', 6, 5],
  ['a sequence as a key', () => `${MIN}? [a, b]\n: c\n`, 'yaml-key', 10, 3],
  ['a mapping as a key', () => `${MIN}{a: 1}: c\n`, 'yaml-key', 10, 1],
  [
    'an alias as a key',
    () => `version: 1\nname: &n mini\n*n : 1\n${MIN.split('\n').slice(2).join('\n')}`,
    'yaml-key',
    3,
    1,
  ],
  ['a second document after a directive', () => `%YAML 1.2\n---\n${MIN}---\nx: 1\n`, 'yaml-multiple-docs', 12, 1],
  ['content after a document end', () => `${MIN}...\nx: 1\n`, 'yaml-multiple-docs', 11, 1],
  [
    'a merge of 200 maps',
    () => `${MIN}m: &m {k: 1}\nx: {<<: [${Array(200).fill('*m').join(', ')}]}\n`,
    'yaml-merge',
    11,
    5,
  ],
  [
    'invalid UTF-8 in a command',
    () => Buffer.concat([Buffer.from(MIN.replace('echo hi\n', 'echo h')), Buffer.from([0xff, 0x0a])]),
    'file-encoding',
    9,
    20,
  ],
  ['Object property names as keys', () => BOGUS.replace('bogus', 'constructor'), 'unknown-key', 6, 5],
  // Not YAML, but the same budget: PostgreSQL's parser takes ~2 s per MiB of statements.
  [
    '1 MiB of SQL statements',
    () => MIN.replace('run: echo hi', `sql: "${'SELECT 1;'.repeat(115_000)}"`),
    'sql-too-large',
    9,
    14,
  ],
  ['__proto__ as a key', () => `${MIN}__proto__: 3\n`, 'unknown-key', 10, 1],
];

describe('hostile YAML is refused, located', () => {
  it.each(refused)('%s', (name, text, code, line, column) => {
    const t0 = Date.now();
    const r = validate(text());
    const seconds = (Date.now() - t0) / 1000;
    expect(r.stderr, name).not.toMatch(/internal error/);
    expect(r.status, r.stderr).toBe(2);
    expect(seconds, `${name}: ${seconds} s`).toBeLessThan(5);
    const diags = JSON.parse(r.stdout) as Diag[];
    const hit = diags.find((d) => d.code === code);
    expect(hit, JSON.stringify(diags).slice(0, 1000)).toBeDefined();
    expect([hit!.line, hit!.column], hit!.message).toEqual([line, column]);
    expect(hit!.message.length).toBeLessThan(400);
  });

  it('every Object property name used as a key is unknown, at every level', () => {
    const text = `${BOGUS.replace('bogus', 'toString')}__proto__: 3\nhasOwnProperty: 4\n`;
    const diags = JSON.parse(validate(text).stdout) as Diag[];
    expect(diags.filter((d) => d.code === 'unknown-key').map((d) => d.line)).toEqual([6, 11, 12]);
  });

  it("a message quoting the file's text stays short", () => {
    const r = validate(`${MIN}x: !${'a'.repeat(900_000)} 1\n`);
    expect(r.status).toBe(2);
    expect(r.stdout.length + r.stderr.length).toBeLessThan(5_000);
  });

  it.each([
    ['an escape sequence and a bell (which YAML refuses anywhere)', `x: 1 # \x1b[2K\r\x1b[32m✓ all good\x1b[0m\x07`],
    ['a right-to-left override (which YAML allows in a comment)', `bogus: 1 # \u202e doog lla`],
  ])('the code frame shows %s escaped, never raw', (_, line) => {
    const r = validate(`version: 1\nname: mini\n${line}\n${MIN.split('\n').slice(2).join('\n')}`, 'text');
    expect(r.status).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/ \| /);
    // eslint-disable-next-line no-control-regex -- the point: none may reach the terminal
    expect(out).not.toMatch(/[\x1b\r\x07\u202e]/);
  });

  it('the caret stands under the column, escapes and all', () => {
    const r = validate(
      'version: 1\nname: mini\nstages: [{ id: 1, name: "\u202e\u202e", bogus: 1, irreversible: true, steps: [{ run: "true" }] }]\n',
      'text',
    );
    const lines = (r.stdout + r.stderr).split('\n');
    const at = lines.findIndex((l) => /unknown key 'bogus'/.test(l));
    expect(at).toBeGreaterThanOrEqual(0);
    const frame = lines[at + 1]!;
    const caret = lines[at + 2]!.indexOf('^');
    expect(frame.slice(caret, caret + 5)).toBe('bogus');
  });
});

describe('names that are Object properties work as names', () => {
  it('a var named constructor validates and plans', () => {
    const text = MIN.replace('stages:', 'vars:\n  constructor: {default: hi}\nstages:').replace(
      'echo hi',
      'echo ${constructor}',
    );
    const dir = tempDir('migrate-hostile-yaml-');
    const file = join(dir, 'runbook.yaml');
    writeFileSync(file, text);
    const v = spawnSync(process.execPath, [BIN, 'validate', file], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const p = spawnSync(process.execPath, [BIN, 'plan', '1', '-r', file, '--json'], { encoding: 'utf8', cwd: dir });
    expect(p.stderr).not.toMatch(/internal error/);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/echo hi/);
  });

  it('an environment named like an Object property is not taken as declared', () => {
    const dir = tempDir('migrate-hostile-yaml-');
    const file = join(dir, 'runbook.yaml');
    writeFileSync(file, MIN);
    const p = spawnSync(process.execPath, [BIN, 'plan', '1', '-r', file, '--env', 'hasOwnProperty'], {
      encoding: 'utf8',
      cwd: dir,
    });
    expect(p.stderr).not.toMatch(/internal error/);
    expect(p.status, p.stdout + p.stderr).toBe(2);
  });
});

describe('files that are not runbooks', () => {
  it('a runbook through process substitution validates, as plan and status read it', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" validate <(printf '%s' "$0")`, MIN], {
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mini, 1 stage/);
  });

  it('a file that is not YAML by its name is refused, before it is read', () => {
    const dir = tempDir('migrate-hostile-yaml-');
    writeFileSync(join(dir, 'README.md'), '# notes\n');
    const r = spawnSync(process.execPath, [BIN, 'validate', join(dir, 'README.md')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a YAML runbook/);
  });

  it('validate with no paths checks ./migrate.yaml when there is no ./runbooks', () => {
    const dir = tempDir('migrate-hostile-yaml-');
    writeFileSync(join(dir, 'migrate.yaml'), MIN);
    const r = spawnSync(process.execPath, [BIN, 'validate'], { encoding: 'utf8', cwd: dir });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/migrate\.yaml: mini/);
  });

  it('a FIFO is refused at once, not waited on', () => {
    const dir = tempDir('migrate-hostile-yaml-');
    const fifo = join(dir, 'runbook.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = spawnSync(process.execPath, [BIN, 'validate', fifo], { encoding: 'utf8', timeout: 10_000 });
    expect(r.signal, 'validate waited on a FIFO with no writer').toBeNull();
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/not a regular file/);
  });
});

// A second review: work that grew with the square of the findings, strings aliased into gigabytes,
// names that are Object's own in shell words, control characters in other formats, a name read wrong.
describe('hostile runbooks, second review', () => {
  const H = 'version: 1\nname: x\n';
  const ST = 'stages:\n  - id: 1\n    name: s\n    irreversible: true\n    steps:\n';
  const big = 'a'.repeat(900_000);
  it.each([
    [
      '4,000 findings in one sql value',
      `${H}${ST}      - sql: ${'DROP TABLE t; '.repeat(4000)}\n        database: postgres://h/db\n`,
      0,
    ],
    ['4,000 unknown vars in one command', `${H}${ST}      - run: echo ${Array(4000).fill('${nosuch}').join(' ')}\n`, 2],
  ] as const)('%s: bounded work, a bounded report', (_, text, code) => {
    const file = join(tempDir('migrate-hostile-yaml-'), 'runbook.yaml');
    writeFileSync(file, text);
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'validate', '--format', 'json', file], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const cpu = r.stderr
      .trim()
      .split('\n')
      .pop()!
      .split(' ')
      .reduce((a, b) => a + Number(b), 0);
    expect(r.status, r.stderr.slice(0, 500)).toBe(code);
    expect(cpu).toBeLessThan(1.5);
    const diags = JSON.parse(r.stdout) as Diag[];
    expect(diags.length).toBeLessThan(120);
    expect(diags.find((d) => d.code === 'too-many-findings')?.message).toMatch(/more findings not shown/);
  });

  it.each([
    ['cwd', `${H}description: &b "${big}"\n${ST}${'      - run: echo\n        cwd: *b\n'.repeat(500)}`],
    ['run', `${H}description: &b "echo ${big}"\n${ST}${'      - run: *b\n'.repeat(50)}`],
    ['name', `${H}description: &b "${big}"\n${ST}${'      - run: echo\n        name: *b\n'.repeat(1000)}`],
  ])('a long string aliased into %s many times is refused where it passes the limit', (_, text) => {
    const r = validate(text);
    expect(r.status, r.stderr.slice(0, 500)).toBe(2);
    expect((JSON.parse(r.stdout) as Diag[]).map((d) => d.code)).toContain('yaml-alias');
  });

  it.each(['toString x', 'constructor x', 'valueOf x', 'env __proto__ a', 'sudo constructor x'])(
    'a shell word that is an Object property name (%s) is a command like any other',
    (cmd) => {
      const r = validate(`${H}${ST}      - run: ${cmd}\n`);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.status, r.stderr).toBe(0);
    },
  );

  it('a key tagged as a mapping or sequence is yaml-key', () => {
    const r = validate(`${H}${ST}      - run: echo\n        env:\n          ? !!map\n          : x\n`);
    expect(r.status).toBe(2);
    expect((JSON.parse(r.stdout) as Diag[])[0]).toMatchObject({ code: 'yaml-key', line: 10 });
  });

  it('a NUL in SQL is an error where it stands, not the end of what the lint reads', () => {
    const r = validate(
      `${H}${ST}      - sql: "SELECT 1;\\0 DROP TABLE users; SELEC"\n        database: postgres://h/db\n`,
    );
    expect(r.status).toBe(2);
    expect((JSON.parse(r.stdout) as Diag[]).find((d) => d.code === 'sql-syntax')).toMatchObject({
      line: 8,
      column: 24,
    });
  });

  it('a duration longer than a timer can wait (24 days) is refused, not fired at once', () => {
    const r = validate(`${H}defaults: { timeout: 25d }\n${ST}      - run: echo\n`);
    expect(r.status).toBe(2);
    expect((JSON.parse(r.stdout) as Diag[])[0]).toMatchObject({ code: 'duration', line: 3 });
    expect(validate(`${H}defaults: { timeout: 24d }\n${ST}      - run: echo\n`).status).toBe(0);
  });

  it.each([
    ['an environment variable name', `      - run: echo\n        env: { "A\\e[2J": y }\n`],
    ['an HTTP header name', `      - http: { url: "http://127.0.0.1:1/", headers: { "a\\nb": c } }\n`],
  ])('%s with control characters is refused at validate', (_, step) => {
    const r = validate(`${H}${ST}${step}`);
    expect(r.status, r.stdout).toBe(2);
  });

  it.each(['json', 'github', 'text'])('no raw control or bidi character reaches %s output', (format) => {
    const r = validate(
      `${H}owner: !<%1B[2J%1B]0;pwned%07%C2%9B31m%E2%80%AE%D8%9C> x\n${ST}      - run: echo\n`,
      format as 'json',
    );
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).not.toMatch(
      // eslint-disable-next-line no-control-regex -- the point: none may reach the terminal
      /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069]/,
    );
  });
});

describe('status and history read the runbook as validate does', () => {
  const dirWith = (text: string) => {
    const dir = tempDir('migrate-hostile-yaml-');
    writeFileSync(join(dir, 'migrate.yaml'), text);
    return dir;
  };
  const run = (dir: string, args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
    });

  it("a name: line inside a quoted string is not the runbook's name", () => {
    const dir = dirWith(
      `version: 1\ndescription: 'this runbook\nname: payments-prod\n  is a test'\n"name": sandbox\n${'stages:\n  - id: 1\n    name: s\n    irreversible: true\n    steps:\n      - run: echo hi\n'}`,
    );
    expect(run(dir, ['validate', 'migrate.yaml']).stdout).toMatch(/sandbox/);
    const s = run(dir, ['status']);
    expect(s.stdout + s.stderr).toMatch(/sandbox/);
    expect(s.stdout + s.stderr).not.toMatch(/payments-prod/);
  });

  it.each([
    ['vars with an empty entry', 'journal: postgres://h/${a}\nvars:\n  a:\n'],
    ['vars as a list', 'journal: postgres://h/${a}\nvars: [1, null]\n'],
  ])('status and history on a runbook whose journal uses %s: a clear error, exit 2', (_, top) => {
    const dir = dirWith(
      `version: 1\nname: x\n${top}stages:\n  - id: 1\n    name: s\n    irreversible: true\n    steps:\n      - run: echo\n`,
    );
    for (const cmd of ['status', 'history']) {
      const r = run(dir, [cmd]);
      expect(r.stderr, cmd).not.toMatch(/internal error/);
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(2);
    }
  });

  it('status on a runbook that is not YAML says where', () => {
    const dir = dirWith('version: 1\nstages: [\n');
    const r = run(dir, ['status']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+/);
  });
});

// A third review: what the second round's limits and escapes caught that they should not have, or missed.
describe('hostile runbooks, third review', () => {
  const H = 'version: 1\nname: x\n';
  const ST = 'stages:\n  - id: 1\n    name: s\n    irreversible: true\n    steps:\n';

  it('a Prometheus offset of a month is no timer: 28d and 30d validate', () => {
    const r = validate(
      `${H}${ST}      - run: echo\n    verify:\n      - name: vs last month\n        prometheus: { url: "http://127.0.0.1:2/", query: "sum(up)", at: 28d }\n        expect: value < baseline * 2\n        baseline: { query_offset: 30d }\n`,
    );
    expect(r.status, r.stdout).toBe(0);
  });

  it('a too-long duration from a var says it is too long', () => {
    const r = validate(`${H}vars:\n  long: { default: 30d }\n${ST}      - run: echo\n        timeout: \${long}\n`);
    expect(r.status).toBe(2);
    expect((JSON.parse(r.stdout) as Diag[])[0]!.message).toMatch(/longer than 24 days/);
  });

  it('too-many-findings stands where findings were left out, not at line 1', () => {
    const steps = Array.from(
      { length: 210 },
      (_, i) => `      - { sql: "DROP TABLE t${i}", database: "postgres://h/db" }\n`,
    );
    const r = validate(`${H}${ST}${steps.join('')}      - run: echo \${nosuch}\n`);
    expect(r.status).toBe(2);
    const diags = JSON.parse(r.stdout) as Diag[];
    expect(diags.some((d) => d.code === 'var-undeclared')).toBe(true);
    expect(diags.find((d) => d.code === 'too-many-findings')!.line).toBeGreaterThan(7);
  });

  it('a stage name and check messages with control characters are escaped on the progress lines', () => {
    const dir = tempDir('migrate-hostile-yaml-');
    writeFileSync(
      join(dir, 'migrate.yaml'),
      'version: 1\nname: esc\nstages:\n  - id: 1\n    name: "one\\u202e x"\n    irreversible: true\n    steps:\n      - run: echo ok\n    verify:\n      - name: "chk\\u2066 \\e[31m"\n        command: "echo 1"\n        expect: value == 1\n',
    );
    const r = spawnSync(process.execPath, [BIN, 'stage', '1', '--yes'], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- the point: none may reach the terminal
    expect(r.stdout + r.stderr).not.toMatch(/[\x1b\u202e\u2066]/);
  });

  it.each([
    ['a # with no blank before it', 'name: foo#bar\n'],
    ['an indented next line', 'name: foo\n  bar\n'],
  ])('status reads the name validate reads: %s is part of the name', (_, line) => {
    const dir = tempDir('migrate-hostile-yaml-');
    writeFileSync(join(dir, 'migrate.yaml'), `version: 1\n${line}${ST}      - run: echo\n`);
    const s = spawnSync(process.execPath, [BIN, 'status'], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, CI: '1' },
    });
    expect(s.stdout + s.stderr).not.toMatch(/^foo: stage/m);
    expect(s.status).toBe(2);
  });
});
