import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseTemplate, renderShell, renderSql, renderUrl } from '../../src/runbook/template.js';

const nasty = [`$(touch PWNED)`, '`id`', `'; rm -rf / #`, `" && echo hi "`, 'a b\tc', '\\', "it's", '$HOME', '${x}', '\n', ''];
const sh = (cmd: string) => execFileSync('bash', ['-c', cmd], { encoding: 'utf8' });

describe('shell interpolation: a value is always one word of data', () => {
  it.each(nasty)('bare: %j', (v) => {
    expect(sh(renderShell('printf %s ${v}', () => v))).toBe(v);
  });
  it.each(nasty)('inside double quotes: %j', (v) => {
    expect(sh(renderShell('printf %s "<${v}>"', () => v))).toBe(`<${v}>`);
  });
  it.each(nasty)("inside single quotes: %j", (v) => {
    expect(sh(renderShell("printf %s '<${v}>'", () => v))).toBe(`<${v}>`);
  });
  it('keeps the template own shell syntax', () => {
    expect(sh(renderShell('echo ${a} | tr a-z A-Z', () => 'abc'))).toBe('ABC\n');
  });
});

describe('other contexts', () => {
  it('sql values become bound parameters', () => {
    expect(renderSql("UPDATE t SET v = ${a} WHERE k = ${b}", (n) => (n === 'a' ? "x'; DROP TABLE t; --" : 'k')))
      .toEqual({ text: 'UPDATE t SET v = $1 WHERE k = $2', values: ["x'; DROP TABLE t; --", 'k'] });
  });
  it('url values are percent-encoded, except a leading base URL', () => {
    expect(renderUrl('${base}/items?q=${q}', (n) => (n === 'base' ? 'http://h:1' : 'a b&c=d'))).toBe('http://h:1/items?q=a%20b%26c%3Dd');
  });
  it('$${ is a literal', () => {
    expect(parseTemplate('a $${b} ${c}')).toEqual([{ text: 'a ' }, { text: '${' }, { text: 'b} ' }, { name: 'c', at: 8 }]);
  });
});
