import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseTemplate, renderJsonBody, renderSql, renderUrl } from '../../src/runbook/template.js';
import { displayShell, envName, renderShell, shellRefs, ShellContext } from '../../src/runbook/shell.js';

const nasty = [
  `$(touch PWNED)`,
  '`id`',
  `'; rm -rf / #`,
  `" && echo hi "`,
  'a b\tc',
  '\\',
  "it's",
  '$HOME',
  '${x}',
  '\n',
  '',
  '*',
];
const run = (shell: string, template: string, v: string) => {
  const { script, env } = renderShell(template, () => v);
  expect(script).not.toContain(v.length > 2 ? v : '\u0000');
  return execFileSync(shell, ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: '/tmp' });
};

describe.each(['bash', 'sh'])('shell: a value reaches %s as an environment variable, never as script text', (shell) => {
  it.each(nasty)('bare: %j', (v) => {
    expect(run(shell, 'printf %s ${v}', v)).toBe(v);
  });
  it.each(nasty)('inside double quotes: %j', (v) => {
    expect(run(shell, 'printf %s "<${v}>"', v)).toBe(`<${v}>`);
  });
  it.each(nasty)('in a nested shell inside single quotes: %j', (v) => {
    expect(run(shell, "sh -c 'printf %s ${v}'", v)).toBe(v);
  });
  it('keeps the template own shell syntax', () => {
    expect(run(shell, 'echo ${a} | tr a-z A-Z', 'abc')).toBe('ABC\n');
  });
});

describe('the shell lexer places each reference', () => {
  const ctx = (src: string) => shellRefs(src).map((r) => r.context);
  it.each([
    ["# don't\necho ${x}", [ShellContext.Bare]],
    ['R="$(printf %s "${x}")"', [ShellContext.Double]],
    ['R="`printf %s ${x}`"', [ShellContext.Bare]],
    ["cat <<EOF\nit's ${x}\nEOF\necho ${x}", [ShellContext.HereDoc, ShellContext.Bare]],
    ["bash <<'EOF'\n# it's\necho ${x}\nEOF", [ShellContext.QuotedHereDoc]],
    ["printf %s $'a\\'b' ${x}", [ShellContext.Bare]],
    ["sh -c 'echo ${x}'", [ShellContext.Single]],
    ['echo # ${x}', [ShellContext.Comment]],
  ] as const)('%j', (src, expected) => {
    expect(ctx(src)).toEqual(expected);
  });
  it('knows word starts (option positions) and nested shells', () => {
    expect(shellRefs('sort ${a} --f=${b} "${c}" x${d}; $(cat ${e})').map((r) => r.wordStart)).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(shellRefs("sh -c 'echo ${a}'; echo '${b}'").map((r) => r.nested)).toEqual([true, false]);
  });
  it('gives names that are not identifiers a safe environment name', () => {
    expect(envName('region')).toBe('MIGRATE_VAR_region');
    expect(envName('a-b')).toBe('MIGRATE_VARX_612d62');
  });
  it('displays the template with (masked) values quoted for their context', () => {
    expect(displayShell('echo ${a} "${a}"', () => 'x y')).toBe(`echo 'x y' "x y"`);
  });
});

describe('other contexts', () => {
  it('sql values become bound parameters', () => {
    expect(
      renderSql('UPDATE t SET v = ${a} WHERE k = ${b}', (n) => (n === 'a' ? "x'; DROP TABLE t; --" : 'k')),
    ).toEqual({ text: 'UPDATE t SET v = $1 WHERE k = $2', values: ["x'; DROP TABLE t; --", 'k'] });
  });
  it('url values are percent-encoded, except a leading base URL', () => {
    expect(renderUrl('${base}/items?q=${q}', (n) => (n === 'base' ? 'http://h:1' : 'a b&c=d'))).toBe(
      'http://h:1/items?q=a%20b%26c%3Dd',
    );
  });
  it.each(['..', '.', '%2e%2e'])('a value making a path segment %j is refused only when it is a dot segment', (v) => {
    const url = (x: string) => renderUrl('${base}/api/${x}/status?q=${x}', (n) => (n === 'base' ? 'http://h:1' : x));
    if (v === '%2e%2e') expect(url(v)).toBe('http://h:1/api/%252e%252e/status?q=%252e%252e');
    else expect(() => url(v)).toThrow(/path segment/);
    expect(() => renderUrl('${base}/api/%2e${x}/s', (n) => (n === 'base' ? 'http://h:1' : '.'))).toThrow(
      /path segment/,
    );
  });
  it('a JSON string body escapes its values', () => {
    expect(
      JSON.parse(renderJsonBody('{"user":"${who}","n":${n}}', (k) => (k === 'who' ? 'eve","role":"admin' : '5'))),
    ).toEqual({ user: 'eve","role":"admin', n: 5 });
  });
  it('$${ is a literal', () => {
    expect(parseTemplate('a $${b} ${c}')).toEqual([
      { text: 'a ' },
      { text: '${' },
      { text: 'b} ' },
      { name: 'c', at: 8 },
    ]);
  });
});
