// Issue 10, second review: bypasses of shell-nested-code / shell-arith, option injection through the
// command flag store, against the built binary (real bash; canary file PWNED).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandbox, validateJson } from '../helpers/sandbox.js';

const rb = (o: Record<string, unknown>) => JSON.stringify({ version: 1, name: 't', ...o }, null, 1);
const pwned = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('PWNED'));
const vars = { x: { default: 'plain' }, n: { default: '1' } };
const stage = (o: Record<string, unknown>) => [{ id: 1, name: 's', irreversible: true, ...o }];
const CANARY = 'x=$(touch${IFS}PWNED)';

const diags = validateJson;

// [template, diagnostic code]
const REFUSED: [string, 'shell-nested-code' | 'shell-arith'][] = [
  // 1: scanner misreads
  ['echo ""# ; sh -c "echo ${x}"', 'shell-nested-code'],
  ['echo \'\'# ; sh -c "echo ${x}"', 'shell-nested-code'],
  ['echo $\'\'# ; sh -c "echo ${x}"', 'shell-nested-code'],
  ["echo ''# ; echo $((${n}))", 'shell-arith'],
  ['$\'sh\' -c "echo ${x}"', 'shell-nested-code'],
  ['sh $\'-c\' "echo ${x}"', 'shell-nested-code'],
  ['s\\\nh -c "echo ${x}"', 'shell-nested-code'],
  ['$${SHELL} -c "echo ${x}"', 'shell-nested-code'],
  ['$(echo sh) -c "echo ${x}"', 'shell-nested-code'],
  ['`echo sh` -c "echo ${x}"', 'shell-nested-code'],
  ['a[1<<2]=3\nsh -c "echo ${x}"\n2', 'shell-nested-code'],
  [`env ${Array.from({ length: 64 }, (_, i) => `A${i + 1}=1`).join(' ')} sh -c "echo \${x}"`, 'shell-nested-code'],
  [`${Array.from({ length: 70 }, (_, i) => `A${i + 1}=1`).join(' ')} sh -c "echo \${x}"`, 'shell-nested-code'],
  // 2: code parsers fed through stdin
  ["psql postgres://db/x <<EOF\nselect '${x}';\nEOF", 'shell-nested-code'],
  ['echo "select \'${x}\'" | psql postgres://db/x', 'shell-nested-code'],
  ["python3 <<EOF\nprint('${x}')\nEOF", 'shell-nested-code'],
  ["perl <<EOF\nprint '${x}'\nEOF", 'shell-nested-code'],
  ["ruby <<EOF\nputs '${x}'\nEOF", 'shell-nested-code'],
  ["node <<EOF\nconsole.log('${x}')\nEOF", 'shell-nested-code'],
  ["php <<EOF\n<?php echo '${x}';\nEOF", 'shell-nested-code'],
  ["mysql db <<EOF\nselect '${x}';\nEOF", 'shell-nested-code'],
  ['awk -f /dev/stdin <<EOF\nBEGIN { print "${x}" }\nEOF', 'shell-nested-code'],
  ['psql db <<< "select \'${x}\'"', 'shell-nested-code'],
  // review 4: a shell or `source` handed stdin by name
  ['source /dev/stdin <<< "echo ${x}"', 'shell-nested-code'],
  ['. /dev/stdin <<< "echo ${x}"', 'shell-nested-code'],
  ['bash /dev/stdin <<< "echo ${x}"', 'shell-nested-code'],
  ['sh -e /dev/fd/0 <<< "echo ${x}"', 'shell-nested-code'],
  ['echo "echo ${x}" | bash -', 'shell-nested-code'],
  ['echo "echo ${x}" | source /proc/self/fd/0', 'shell-nested-code'],
  // review 5: option values, `--`, other spellings of stdin, fd prefixes, more shells and interpreters
  ['bash -o errexit <<< "${x}"', 'shell-nested-code'],
  ['printf %s "${x}" | bash -o pipefail', 'shell-nested-code'],
  ['printf %s "${x}" | bash --rcfile /dev/null', 'shell-nested-code'],
  ['printf %s "${x}" | bash -O extglob', 'shell-nested-code'],
  ['printf %s "${x}" | python3 -W ignore -', 'shell-nested-code'],
  ['printf %s "${x}" | python3 -X dev /dev/stdin', 'shell-nested-code'],
  ['source -- /dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['. -- /dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['bash /dev//stdin <<< "${x}"', 'shell-nested-code'],
  ['bash //dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['bash /dev/./stdin <<< "${x}"', 'shell-nested-code'],
  ['bash /proc/thread-self/fd/0 <<< "${x}"', 'shell-nested-code'],
  ['bash ../../../dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['bash /dev/std?n <<< "${x}"', 'shell-nested-code'],
  ['f=/dev/stdin; bash $f <<< "${x}"', 'shell-nested-code'],
  ['bash 0<<< "${x}"', 'shell-nested-code'],
  ['bash /dev/fd/3 3<<< "${x}"', 'shell-nested-code'],
  ['source /dev/fd/3 3<<< "${x}"', 'shell-nested-code'],
  ['printf %s "${x}" | bash -c \'source /dev/stdin\'', 'shell-nested-code'],
  ['printf %s "${x}" | sh -c \'eval "$(cat)"\'', 'shell-nested-code'],
  ['printf %s "${x}" | xargs -I{} sh -c \'echo {}\'', 'shell-nested-code'],
  ['printf %s "${x}" | fish', 'shell-nested-code'],
  ['printf %s "${x}" | tcsh', 'shell-nested-code'],
  ['printf %s "${x}" | sudo -s', 'shell-nested-code'],
  ['printf %s "${x}" | su app', 'shell-nested-code'],
  ['printf %s "${x}" | python3.11', 'shell-nested-code'],
  ['printf %s "${x}" | pypy3', 'shell-nested-code'],
  ['awk -f/dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['awk --file=/dev/stdin <<< "${x}"', 'shell-nested-code'],
  ['bash 0<<EOF\necho ${x}\nEOF', 'shell-nested-code'],
  ['bash -o errexit <<EOF\necho ${x}\nEOF', 'shell-nested-code'],
  ['source /dev/stdin <<EOF\necho ${x}\nEOF', 'shell-nested-code'],
  ['{ bash; } <<< "${x}"', 'shell-nested-code'],
  ['( bash ) <<< "${x}"', 'shell-nested-code'],
  ['{ source /dev/stdin; } <<< "${x}"', 'shell-nested-code'],
  ['while read -r l; do bash -s; done <<< "${x}"', 'shell-nested-code'],
  ['{ bash; } <<EOF\necho ${x}\nEOF', 'shell-nested-code'],
  ['bash <(echo "${x}")', 'shell-nested-code'],
  ['source <(echo "${x}")', 'shell-nested-code'],
  ['. <(echo "${x}")', 'shell-nested-code'],
  ['env -S "sh -c ${x}"', 'shell-nested-code'],
  ['ssh -o ProxyCommand="nc ${x} 22" db1 true', 'shell-nested-code'],
  ['ssh -oProxyCommand="nc ${x} 22" db1 true', 'shell-nested-code'],
  ['GIT_SSH_COMMAND="ssh -i ${x}" git fetch', 'shell-nested-code'],
  ['export GIT_SSH_COMMAND="ssh -i ${x}"', 'shell-nested-code'],
  // 3: arithmetic not detected
  ['a=(1 2); unset "${n}"', 'shell-arith'],
  ['echo "$${#a[${n}]}"', 'shell-arith'],
  ['printf -v"${n}" %s 1', 'shell-arith'],
  ['declare -n r; r=${n}; echo "$r"', 'shell-arith'],
  ['wait -n -p ${n}', 'shell-arith'],
];

describe('scanner bypasses are located validate errors (issue 10, review 2)', () => {
  it.each(REFUSED)('%j is %s', (run, code) => {
    const box = sandbox(rb({ vars, stages: stage({ steps: [{ run }] }) }));
    const d = diags(box);
    expect(d.code, d.r.stdout + d.r.stderr).toBe(2);
    const hit = d.list.find((x) => x.code === code);
    expect(hit, JSON.stringify(d.list)).toBeDefined();
    expect(hit!.column).toBeGreaterThan(0);
  });

  const SAFE = [
    'echo "#" ; echo ${x}',
    "cat <<'EOF' | psql db\nselect 1;\nEOF",
    "psql db <<'EOF'\nselect '${x}';\nEOF",
    'echo ${x} | grep -c y',
    "psql db -v v=\"${x}\" <<'EOF'\nselect :'v';\nEOF",
    'echo "# ${x}"',
    'ssh -o ConnectTimeout=5 db1 true "$1" # ${x}',
    'env A=1 sort "${x}"',
    'unset a; echo "${x}"',
    'wait -n; echo "${x}"',
    'printf %s "${x}" | xargs -n1 sh -c \'echo "$1"\' _',
    'printf %s "${x}" | sh -c \'read -r a; echo "$a"\'',
    'bash ./deploy.sh <<< "${x}"',
    '{ cat; } <<< "${x}"',
    'bash ./deploy.sh; { cat; } <<< "${x}"',
    'while read -r l; do echo "$l"; done <<< "${x}"',
  ];
  it.each(SAFE)('%j stays data: no error', (run) => {
    const box = sandbox(rb({ vars, stages: stage({ steps: [{ run }] }) }));
    const d = diags(box);
    expect(d.code, d.r.stdout + d.r.stderr).toBe(0);
  });

  it.each([
    ['echo ""# ; sh -c "echo ${x}"'],
    ['$(echo sh) -c "echo ${x}"'],
    ['s\\\nh -c "echo ${x}"'],
    ['source /dev/stdin <<< "echo ${x}"'],
    ['bash /dev/stdin <<< "echo ${x}"'],
    ['bash -o errexit <<< "${x}"'],
    ['source -- /dev/stdin <<< "${x}"'],
    ['bash 0<<< "${x}"'],
    ['{ bash; } <<< "${x}"'],
    ['printf %s "${x}" | xargs -I{} sh -c \'echo {}\''],
    [`env ${Array.from({ length: 64 }, (_, i) => `A${i + 1}=1`).join(' ')} sh -c "echo \${x}"`],
  ])('the canary attack runs nothing: %j', (run) => {
    const box = sandbox(rb({ vars, defaults: { shell: 'bash' }, stages: stage({ steps: [{ run }] }) }));
    const r = box.run(['stage', '1', '--yes', '--set', CANARY]);
    expect(r.code, r.stderr).toBe(2);
    expect(pwned(box.dir)).toEqual([]);
  });

  it("psql's \\! in a value through an unquoted here-doc: refused before anything runs", () => {
    // A fake psql that, like psql, runs `\!` lines of its stdin with a shell.
    const psql = '#!/bin/sh\nwhile IFS= read -r l; do case "$l" in *"\\\\!"*) sh -c "${l#*\\\\!}";; esac; done\n';
    const box = sandbox(
      rb({
        vars,
        defaults: { shell: 'bash' },
        stages: stage({ steps: [{ run: "PATH=.:$PATH psql db <<EOF\nselect '${x}';\nEOF" }] }),
      }),
      { psql },
    );
    const r = box.run(['stage', '1', '--yes', '--set', "x='; \\! touch PWNED #"]);
    expect(r.code, r.stderr).toBe(2);
    expect(pwned(box.dir)).toEqual([]);
  });
});

describe("the command flag store's ${value} gets the leading-dash check (issue 10, review 2)", () => {
  it('--set x=--output=precious.txt into `sort ${value}` is refused; nothing is written', () => {
    const box = sandbox(
      rb({
        vars: { x: { default: 'in.txt' } },
        flags: { store: 'command', get: 'true', set: 'sort ${value}', unset: 'true' },
        stages: stage({ steps: [{ flag: { name: 'f', value: '${x}' } }] }),
      }),
      { 'in.txt': 'b\na\n' },
    );
    const r = box.run(['stage', '1', '--yes', '--set', 'x=--output=precious.txt']);
    expect(box.exists('precious.txt')).toBe(false);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/'value'.*starts with '-'/);
  });

  it('with allow_dash on the source var, it is passed', () => {
    const box = sandbox(
      rb({
        vars: { x: { default: 'in.txt', allow_dash: true } },
        flags: { store: 'command', get: 'true', set: 'echo ${value} > out.txt', unset: 'true' },
        stages: stage({ steps: [{ flag: { name: 'f', value: '${x}' } }] }),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--set', 'x=-n']);
    expect(r.code, r.stderr).toBe(0);
  });
});
