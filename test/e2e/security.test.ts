// Issue 10's attack cases against the built binary: real bash and sh, real files, local servers on 127.0.0.1.
// Runbooks are written as JSON (valid YAML) so the attack text is exactly what the test says.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandbox, validateJson } from '../helpers/sandbox.js';

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
    [
      'a here-doc with a quoted terminator, fed to a shell',
      `${shell} >> out.txt <<'EOF'\n# it's\nprintf '%s\\n' \${x}\nEOF`,
      `${EVIL}\n`,
    ],
    ["a nested shell: sh -c '... ${x}'", 'sh -c \'printf "%s\\n" ${x}\' >> out.txt', `${EVIL}\n`],
  ];
  if (shell === 'bash') list.push(["$'...' before ${x}", "printf '%s\\n' $'a\\'b' ${x} >> out.txt", `a'b\n${EVIL}\n`]);
  return list;
}

describe.each(['bash', 'sh'] as const)(
  'shell injection through every surface (%s): every attack case in one run',
  (shell) => {
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

    it('run', () => {
      run({ stages: stage({ steps: all.map((r) => ({ run: r })) }) });
    });
    it('undo', () => {
      const steps = [...all.map((r) => ({ run: 'true', undo: r })).reverse(), { run: 'exit 1' }];
      run({ stages: [{ id: 1, name: 's', steps }] }, 1);
    });
    it('command checks', () => {
      run({
        stages: stage({ preflight: all.map((c, i) => ({ name: `c${i}`, command: c })), steps: [{ run: 'true' }] }),
      });
    });
    it('notify run', () => {
      run({ notify: [{ on: ['stage.completed'], run: all.join('\n') }], stages: stage({ steps: [{ run: 'true' }] }) });
    });
    it("the command flag store's ${flag} and ${value}", () => {
      const set = all.map((r) => r.replaceAll('${x}', '${value}')).join('\n');
      run({
        flags: { store: 'command', get: 'true', set, unset: 'true' },
        stages: stage({ steps: [{ flag: { name: 'f', value: '${x}' } }] }),
      });
    });
    it("a canary's set (with ${weight})", () => {
      const set = { run: `echo \${weight} >> weights\n${all.join('\n')}` };
      const box = run({
        stages: stage({
          canary: { weights: [5], hold: '10ms', interval: '5ms', set, checks: [{ name: 'ok', command: 'true' }] },
        }),
      });
      expect(box.read('weights')).toBe('5\n');
    });
  },
);

describe('values as data, not options', () => {
  const stage = (steps: unknown[]) => [{ id: 1, name: 's', irreversible: true, steps }];

  it("a value starting with '-' is refused in a bare shell position, located, before any step runs", () => {
    const box = sandbox(
      rb({ vars: { file: { default: 'in.txt' } }, stages: stage([{ run: 'touch ran' }, { run: 'sort ${file}' }]) }),
      { 'in.txt': 'b\na\n' },
    );
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
  ])(
    "a leading '-' made by a later value in a word (%s) is refused before any step runs, naming that var",
    (_, run) => {
      const box = sandbox(
        rb({ vars: { a: { default: 'x' }, b: { default: 'in.txt' } }, stages: stage([{ run: 'touch ran' }, { run }]) }),
        { 'in.txt': 'b\na\n' },
      );
      const r = box.run(['stage', '1', '--yes', '--set', 'a=', '--set', 'b=--output=precious.txt']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+ error var-dash: the value of 'b'/);
      expect(r.stderr).not.toMatch(/value of 'a'/);
      expect(box.exists('ran')).toBe(false);
      expect(box.exists('precious.txt')).toBe(false);
    },
  );

  it("allow_dash: true or a pattern lets a leading '-' through; a mid-word '-' is always fine", () => {
    const box = sandbox(
      rb({
        vars: { n: { default: '1', allow_dash: true }, m: { default: '1', pattern: '-?[0-9]+' }, s: { default: 'x' } },
        stages: stage([
          { run: "printf '%s %s %s\\n' ${n} ${m} --s=${s} > out.txt" },
          { run: ['sh', '-c', 'echo "$1" >> out.txt', 'sh', 'x${s}'] },
        ]),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--set', 'n=-5', '--set', 'm=-6', '--set', 's=-7']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.read('out.txt')).toBe('-5 -6 --s=-7\nx-7\n');
  });

  it("a var's pattern is checked before anything runs, with a located error naming the var", () => {
    const box = sandbox(
      rb({ vars: { region: { default: 'eu', pattern: '[a-z]{2}' } }, stages: stage([{ run: 'touch ran' }]) }),
    );
    const r = box.run(['stage', '1', '--yes', '--set', 'region=eu; rm -rf /']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+.*var 'region'.*does not match its pattern/);
    expect(box.exists('ran')).toBe(false);
    expect(box.run(['stage', '1', '--yes', '--set', 'region=us']).code).toBe(0);
  });

  it('an invalid pattern, or a default that breaks it, is a validation error', () => {
    const box = sandbox(
      rb({ vars: { a: { pattern: '(' }, b: { default: 'XX', pattern: '[a-z]+' } }, stages: stage([{ run: 'true' }]) }),
    );
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

describe('values that another parser would read as code (issue 10, F1)', () => {
  const ATTACK = 'a[$(touch PWNED)]';
  const stage = (o: Record<string, unknown>) => [{ id: 1, name: 's', irreversible: true, ...o }];
  const diags = validateJson;

  // bash evaluates a value like a[$(cmd)] as code wherever it does arithmetic, even from "$V".
  const ARITH = [
    '[[ ${n} -eq 1 ]]',
    '[[ 1 -lt ${n} && -n x ]]',
    'echo $(( ${n} + 1 ))',
    'echo "$(( ${n} + 1 ))"',
    '(( ${n} > 2 ))',
    'for (( i = 0; i < ${n}; i++ )); do :; done',
    'let x=${n}+1',
    'declare -i x=${n}',
    'local -i x; x=${n}',
    'a[${n}]=1',
    'echo $${a[${n}]}',
    'echo "$${s:${n}:1}"',
    'echo $[ ${n} + 1 ]',
    "sh -c 'echo $(( ${n} + 1 ))'",
    // Found by the review of this fix: a value used as a variable name has its subscript evaluated too.
    '[[ -v ${n} ]]',
    'test -v ${n}',
    'printf -v ${n} %s 1',
    'read ${n} <<< 1',
    'declare "${n}=1"',
    'typeset -n r=${n}',
    'a=([${n}]=1)',
    "sh -c 'echo '\\''hi'\\''; echo $(( ${n} ))'",
  ];
  it.each(ARITH)('bash arithmetic without type: integer is a located validate error: %s', (run) => {
    const box = sandbox(rb({ vars: { n: { default: '1' } }, stages: stage({ steps: [{ run }] }) }));
    const { code, list, r } = diags(box);
    expect(code, r.stdout + r.stderr).toBe(2);
    const hit = list.find((d) => d.code === 'shell-arith');
    expect(hit, JSON.stringify(list)).toBeDefined();
    expect(hit!.message).toMatch(/'\$\{n\}'.*arithmetic.*type: integer/);
    expect(hit!.line).toBeGreaterThan(0);
    expect(hit!.column).toBeGreaterThan(0);
  });

  it('with type: integer, arithmetic gets a whole number or nothing runs (exit 2, before any step)', () => {
    const run = `${ARITH.slice(0, 5).join('\n')} ; echo $(( \${n} * 2 )) > out.txt`;
    const box = sandbox(
      rb({
        vars: { n: { default: '1', type: 'integer' } },
        defaults: { shell: 'bash' },
        stages: stage({ steps: [{ run: 'touch ran' }, { run }] }),
      }),
    );
    for (const bad of [ATTACK, '1+1', ' 1', '0x1f', '1.5', '']) {
      const r = box.run(['stage', '1', '--yes', '--set', `n=${bad}`]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+ error var-type: var 'n' = .* is not a whole number/);
      expect(pwned(box.dir)).toEqual([]);
      expect(box.exists('ran')).toBe(false);
    }
    const ok = box.run(['stage', '1', '--yes', '--set', 'n=-3']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(box.read('out.txt')).toBe('-6\n');
  });

  it("the runbook's own names in arithmetic (a flag store's ${value}) are checked as they are rendered: nothing is evaluated", () => {
    const box = sandbox(
      rb({
        vars: { x: { default: '1' } },
        defaults: { shell: 'bash' },
        flags: { store: 'command', get: 'true', set: 'echo $(( ${value} + 1 )) >> out.txt', unset: 'true' },
        stages: stage({ steps: [{ flag: { name: 'f', value: '${x}' } }] }),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--set', `x=${ATTACK}`]);
    expect(pwned(box.dir)).toEqual([]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/'value'.*arithmetic/);
    expect(box.run(['stage', '1', '--yes', '--set', 'x=41']).code).toBe(0);
    expect(box.read('out.txt')).toBe('42\n');
  });

  // The outer shell expands "...${n}..." and hands the text to something that parses it as code.
  const NESTED: [string, string][] = [
    ['sh -c "echo ${n}"', 'sh -c'],
    ['bash -c "echo ${n}"', 'bash -c'],
    ['sh -c ${n}', 'sh -c'],
    ['bash -lc "echo "${n}', 'bash -c'],
    ['sudo -u app bash -c "echo ${n}"', 'bash -c'],
    ['kubectl exec pod -- sh -c "echo ${n}"', 'sh -c'],
    ['su -c "echo ${n}" app', 'su -c'],
    ['eval "echo ${n}"', 'eval'],
    ['eval echo ${n}', 'eval'],
    ['trap "echo ${n}" EXIT', 'trap'],
    ['ssh db1 "echo ${n}"', 'ssh'],
    ['ssh -p 22 db1 echo ${n}', 'ssh'],
    ['watch "echo ${n}"', 'watch'],
    ['bash <<EOF\necho ${n}\nEOF', 'bash'],
    ['sh -c \'bash -c "echo ${n}"\'', 'bash -c'],
    ['python3 -c "print(\'${n}\')"', 'python3 -c'],
    ['awk "BEGIN { print \\"${n}\\" }"', 'awk'],
    ['sed -e "s/x/${n}/" f', 'sed'],
    ['psql -c "select ${n}"', 'psql -c'],
    // Found by the review of this fix: a value piped or here-stringed into a shell, `-c --`, a shell named by a variable.
    ['echo ${n} | bash', '| bash'],
    ['printf %s "$(echo ${n})" | sh -x > out.txt 2>&1', '| sh'],
    ['bash <<< "echo ${n}"', 'bash <<<'],
    ['echo ${n} | ssh db1', '| ssh'],
    ['bash -c -- "echo ${n}"', 'bash -c'],
    ['$SHELL -c "echo ${n}"', '$SHELL -c'],
  ];
  it.each(NESTED)('a value expanded into code for a nested parser is a located validate error: %s', (run, by) => {
    const box = sandbox(rb({ vars: { n: { default: '1' } }, stages: stage({ steps: [{ run }] }) }));
    const { code, list, r } = diags(box);
    expect(code, r.stdout + r.stderr).toBe(2);
    const hit = list.find((d) => d.code === 'shell-nested-code');
    expect(hit, JSON.stringify(list)).toBeDefined();
    expect(hit!.message).toContain(`'\${n}'`);
    expect(hit!.message).toContain(by);
    expect(hit!.column).toBeGreaterThan(0);
  });

  const SAFE = [
    "sh -c 'echo ${n}'",
    'bash -c \'echo "${n}"\'',
    'sh -c \'printf "%s\\n" "$@"\' sh ${n}',
    'ssh db1 "grep $(printf %q ${n}) f"',
    'grep -c "${n}" f',
    'echo "bash -c ${n}"',
    "eval 'echo ${n}'",
    "bash <<'EOF'\necho ${n}\nEOF",
    'echo ${n} | ssh db1 \'read -r v; echo "$v"\'',
    "awk -v v=${n} '{ print v }' f",
    'echo "$(( 1 + 1 )) ${n}"',
    '[[ ${n} == 1 ]]',
    '[ ${n} -eq 1 ]',
    'echo "${n}" "$${#n}"',
    'echo ${n} | grep x | wc -l',
    'echo ${n} | bash script.sh',
    'echo ${n} || bash -c true',
    'read -p "${n}" v',
    'export "X=${n}"',
    'a=(1 ${n})',
  ];
  it.each(SAFE)('a value that stays data passes validate with no error: %s', (run) => {
    const box = sandbox(rb({ vars: { n: { default: '1' } }, stages: stage({ steps: [{ run }] }) }));
    const { code, list, r } = diags(box);
    expect(code, r.stdout + r.stderr).toBe(0);
    expect(list.filter((d) => d.code === 'shell-nested-code' || d.code === 'shell-arith')).toEqual([]);
  });

  describe.each(['bash', 'sh'] as const)('every shell surface refuses both before anything runs (%s)', (shell) => {
    const attacks = ['sh -c "printf %s ${x}" >> out.txt', 'echo $(( ${x} )) >> out.txt'];
    const all = attacks.join('\n');
    const cases: [string, Record<string, unknown>][] = [
      ['run', { stages: stage({ steps: [{ run: 'touch ran' }, { run: all }] }) }],
      ['undo', { stages: [{ id: 1, name: 's', steps: [{ run: 'touch ran', undo: all }, { run: 'exit 1' }] }] }],
      [
        'command checks',
        { stages: stage({ preflight: [{ name: 'c', command: all }], steps: [{ run: 'touch ran' }] }) },
      ],
      [
        'notify run',
        { notify: [{ on: ['stage.completed'], run: all }], stages: stage({ steps: [{ run: 'touch ran' }] }) },
      ],
      [
        'flag store',
        {
          flags: { store: 'command', get: 'true', set: all, unset: 'true' },
          stages: stage({ steps: [{ run: 'touch ran' }, { flag: { name: 'f', value: '1' } }] }),
        },
      ],
      [
        'canary set',
        {
          stages: stage({
            steps: [{ run: 'touch ran' }],
            canary: {
              weights: [5],
              hold: '10ms',
              interval: '5ms',
              set: { run: all },
              checks: [{ name: 'ok', command: 'true' }],
            },
          }),
        },
      ],
    ];
    it.each(cases)('%s', (_, o) => {
      const box = sandbox(rb({ vars: { x: { default: '1' } }, defaults: { shell }, ...o }));
      const r = box.run(['stage', '1', '--yes', '--set', `x=${ATTACK}`]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+ error shell-nested-code: /);
      expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+ error shell-arith: /);
      expect(pwned(box.dir)).toEqual([]);
      expect(box.exists('ran')).toBe(false);
      expect(box.exists('out.txt')).toBe(false);
    });
  });
});
