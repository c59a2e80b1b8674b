// Issue 10's attack cases against the built binary: real bash and sh, real files, local servers on 127.0.0.1.
// Runbooks are written as JSON (valid YAML) so the attack text is exactly what the test says.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/sandbox.js';

/** Every shell metacharacter an attacker would try, and a quote of each kind. */
const EVIL = `'"$(touch PWNED)\`touch PWNED\`;touch PWNED;# \\ end`;

const rb = (o: Record<string, unknown>) => JSON.stringify({ version: 1, name: 't', ...o }, null, 1);
const pwned = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('PWNED'));

/** Each attack: a shell template (writing to out.txt) and what out.txt must then hold. */
function attacks(shell: 'bash' | 'sh'): [string, string, string][] {
  const list: [string, string, string][] = [
    ['a comment with an apostrophe before ${x}', "# don't\nprintf '%s\\n' ${x} >> out.txt", `${EVIL}\n`],
    ['$(...) inside "..."', 'R="$(printf %s "${x}")"; printf \'%s\\n\' "$R" >> out.txt', `${EVIL}\n`],
    ['backticks inside "..."', 'R="`printf %s "${x}"`"; printf \'%s\\n\' "$R" >> out.txt', `${EVIL}\n`],
    ['an unquoted here-doc', "cat >> out.txt <<EOF\nit's ${x}\nEOF", `it's ${EVIL}\n`],
    ['a here-doc with a quoted terminator, fed to a shell', `${shell} >> out.txt <<'EOF'\n# it's\nprintf '%s\\n' \${x}\nEOF`, `${EVIL}\n`],
    ['a nested shell: sh -c \'... ${x}\'', "sh -c 'printf \"%s\\n\" ${x}' >> out.txt", `${EVIL}\n`],
  ];
  if (shell === 'bash') list.push(['$\'...\' before ${x}', "printf '%s\\n' $'a\\'b' ${x} >> out.txt", `a'b\n${EVIL}\n`]);
  return list;
}

describe.each(['bash', 'sh'] as const)('shell injection through every surface (%s): every attack case in one run', (shell) => {
  const cases = attacks(shell);
  const all = cases.map(([, run]) => run);
  const expected = cases.map(([, , out]) => out).join('');
  const vars = { x: { default: 'plain' } };
  const defaults = { shell };
  const stage = (o: Record<string, unknown>) => [{ id: 1, name: 's', irreversible: true, ...o }];
  const run = (o: Record<string, unknown>, code = 0) => {
    const box = sandbox(rb({ vars, defaults, ...o }));
    const r = box.run(['stage', '1', '--yes', '--set', `x=${EVIL}`]);
    expect(pwned(box.dir)).toEqual([]);
    expect(r.code, r.stderr).toBe(code);
    // Line by line (sorted: checks may run at once), so a difference names the case that broke.
    const lines = (t: string) => t.split(/(?<=\n)/).sort();
    expect(lines(box.read('out.txt'))).toEqual(lines(expected));
    return box;
  };

  it('run', () => { run({ stages: stage({ steps: all.map((r) => ({ run: r })) }) }); });
  it('undo', () => {
    const steps = [...all.map((r) => ({ run: 'true', undo: r })).reverse(), { run: 'exit 1' }];
    run({ stages: [{ id: 1, name: 's', steps }] }, 1);
  });
  it('command checks', () => { run({ stages: stage({ preflight: all.map((c, i) => ({ name: `c${i}`, command: c })), steps: [{ run: 'true' }] }) }); });
  it('notify run', () => {
    run({ notify: [{ on: ['stage.completed'], run: all.join('\n') }], stages: stage({ steps: [{ run: 'true' }] }) });
  });
  it("the command flag store's ${flag} and ${value}", () => {
    const set = all.map((r) => r.replaceAll('${x}', '${value}')).join('\n');
    run({ flags: { store: 'command', get: 'true', set, unset: 'true' }, stages: stage({ steps: [{ flag: { name: 'f', value: '${x}' } }] }) });
  });
  it("a canary's set (with ${weight})", () => {
    const set = { run: `echo \${weight} >> weights\n${all.join('\n')}` };
    const box = run({ stages: stage({ canary: { weights: [5], hold: '10ms', interval: '5ms', set, checks: [{ name: 'ok', command: 'true' }] } }) });
    expect(box.read('weights')).toBe('5\n');
  });
});

describe('values as data, not options', () => {
  const stage = (steps: unknown[]) => [{ id: 1, name: 's', irreversible: true, steps }];

  it("a value starting with '-' is refused in a bare shell position, located, before any step runs", () => {
    const box = sandbox(rb({ vars: { file: { default: 'in.txt' } }, stages: stage([{ run: 'touch ran' }, { run: 'sort ${file}' }]) }), { 'in.txt': 'b\na\n' });
    const r = box.run(['stage', '1', '--yes', '--set', 'file=--output=precious.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+.*'file'.*starts with '-'/);
    expect(box.exists('ran')).toBe(false);
    expect(box.exists('precious.txt')).toBe(false);
  });

  it('also in an argv run', () => {
    const box = sandbox(rb({ vars: { file: { default: 'in.txt' } }, stages: stage([{ run: ['sort', '${file}'] }]) }));
    const r = box.run(['stage', '1', '--yes', '--set', 'file=--output=precious.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+.*'file'.*starts with '-'/);
    expect(box.exists('precious.txt')).toBe(false);
  });

  it.each([
    ['argv', ['sort', '${a}${b}']],
    ['argv, three values', ['sort', '${a}${a}${b}']],
    ['shell', 'sort ${a}${b}'],
    ['shell, after an empty quoted value', 'sort "${a}"${b}'],
    ['shell, after empty quotes', "sort ''${a}${b}"],
  ])("a leading '-' made by a later value in a word (%s) is refused before any step runs, naming that var", (_, run) => {
    const box = sandbox(rb({ vars: { a: { default: 'x' }, b: { default: 'in.txt' } }, stages: stage([{ run: 'touch ran' }, { run }]) }), { 'in.txt': 'b\na\n' });
    const r = box.run(['stage', '1', '--yes', '--set', 'a=', '--set', 'b=--output=precious.txt']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+ error var-dash: the value of 'b'/);
    expect(r.stderr).not.toMatch(/value of 'a'/);
    expect(box.exists('ran')).toBe(false);
    expect(box.exists('precious.txt')).toBe(false);
  });

  it("allow_dash: true or a pattern lets a leading '-' through; a mid-word '-' is always fine", () => {
    const box = sandbox(rb({
      vars: { n: { default: '1', allow_dash: true }, m: { default: '1', pattern: '-?[0-9]+' }, s: { default: 'x' } },
      stages: stage([{ run: "printf '%s %s %s\\n' ${n} ${m} --s=${s} > out.txt" }, { run: ['sh', '-c', 'echo "$1" >> out.txt', 'sh', 'x${s}'] }]),
    }));
    const r = box.run(['stage', '1', '--yes', '--set', 'n=-5', '--set', 'm=-6', '--set', 's=-7']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.read('out.txt')).toBe('-5 -6 --s=-7\nx-7\n');
  });

  it("a var's pattern is checked before anything runs, with a located error naming the var", () => {
    const box = sandbox(rb({ vars: { region: { default: 'eu', pattern: '[a-z]{2}' } }, stages: stage([{ run: 'touch ran' }]) }));
    const r = box.run(['stage', '1', '--yes', '--set', 'region=eu; rm -rf /']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+.*var 'region'.*does not match its pattern/);
    expect(box.exists('ran')).toBe(false);
    expect(box.run(['stage', '1', '--yes', '--set', 'region=us']).code).toBe(0);
  });

  it('an invalid pattern, or a default that breaks it, is a validation error', () => {
    const box = sandbox(rb({ vars: { a: { pattern: '(' }, b: { default: 'XX', pattern: '[a-z]+' } }, stages: stage([{ run: 'true' }]) }));
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/var 'a': pattern is not a valid regular expression/);
    expect(r.stdout + r.stderr).toMatch(/var 'b': the default 'XX' does not match/);
  });
});

describe('control characters in a value are shown escaped, never raw', () => {
  // ESC (a terminal sequence), CR (overwrites the line), BEL, a newline (forges a line), DEL and a bidi override.
  const EVIL_TEXT = 'a\x1b[2Jb\rc\x07d\ne\x7ff\u202eg';
  const SHOWN = 'a\\x1b[2Jb\\rc\\x07d\\ne\\x7ff\\u202eg';
  // eslint-disable-next-line no-control-regex -- raw control characters are what must not appear
  const RAW = /[\x00-\x08\x0b-\x1f\x7f\u202e]/;
  const vars = { region: { default: 'eu', pattern: '[a-z]+' }, file: { default: 'in.txt' }, wait: { default: '1s' } };
  const stage = [{ id: 1, name: 's', irreversible: true, steps: [{ run: 'sort ${file}' }, { pause: '${wait}' }] }];
  const cases: [string, string[], Record<string, string>?][] = [
    ["a var's pattern", ['--set', `region=${EVIL_TEXT}`]],
    ["a leading '-'", ['--set', `file=-${EVIL_TEXT}`]],
    ['a duration', ['--set', `wait=${EVIL_TEXT}`]],
    ['a --set without =', ['--set', EVIL_TEXT]],
    ['a --set of an unknown var', ['--set', `${EVIL_TEXT}=1`]],
    ['an unknown --env', ['--env', EVIL_TEXT]],
    ['a stage that is not a number', []],
    ['an env variable', [], { REGION: EVIL_TEXT }],
  ];

  it.each(cases)('%s', (name, args, env) => {
    const box = sandbox(rb({ vars: { ...vars, region: { ...vars.region, env: 'REGION' } }, stages: stage }));
    const r = box.run(['stage', name.startsWith('a stage') ? EVIL_TEXT : '1', '--yes', ...args], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(SHOWN);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('e\\x7f') || l.startsWith('e\x7f'))).toEqual([]);
  });

  it('a NUL from an environment is shown as \\x00 (the runbook names it; no process can carry it)', () => {
    const box = sandbox(rb({ vars, environments: { e: { vars: { region: 'a\u0000b' } } }, stages: stage }));
    const r = box.run(['stage', '1', '--yes', '--env', 'e']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("'a\\x00b'");
    expect(r.stderr).not.toMatch(RAW);
  });
});
