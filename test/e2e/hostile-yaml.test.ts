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
