// Masking: spellings of a secret that common tools print (found by the attack review), table-driven.
import { describe, expect, it } from 'vitest';
import { MASK, Redactor } from '../../src/runbook/redact.js';

const cases: [secret: string, printed: string, tool: string][] = [
  ['Pa55word!x', 'Pa55word%21x', 'RFC 3986 percent-encoding (urllib quote)'],
  ['pässwört99', 'p%c3%a4ssw%c3%b6rt99', 'percent-encoding with lower-case hex'],
  ['pässwört99', '"p\\u00e4ssw\\u00f6rt99"', 'JSON with ASCII escapes (json.dumps)'],
  ["tok'en#1", `'tok'"'"'en#1'`, 'shlex.quote'],
  ["tok'en#1", "tok\\'en#1", 'bash printf %q'],
  ['a/b c!d/e9', 'a/b%20c%21d/e9', "Python's urllib.parse.quote (keeps '/')"],
  ['a/b c!d/e9', 'a/b+c%21d/e9', "Python's urllib.parse.quote_plus with safe='/'"],
  ['https://x/y?k=s3cr3t', 'https:\\/\\/x\\/y?k=s3cr3t', 'JSON with escaped slashes (PHP json_encode)'],
  ['00421799', '421799', 'a number without its leading zeros'],
  ['421799.50', '421799.5', 'a number without its trailing zero'],
  ['0012345678901', '12345678901.00', 'a number printed by printf %.2f'],
];

describe('Redactor', () => {
  it.each(cases)('masks %j printed as %j (%s)', (secret, printed) => {
    expect(new Redactor([secret]).mask(`before ${printed} after`)).not.toContain(printed);
    expect(new Redactor([secret]).mask(`before ${printed} after`)).toContain(MASK);
  });

  it('a numeric secret is masked by value in journal fields', () => {
    expect(new Redactor(['00421799']).maskDeep({ value: 421799 })).toEqual({ value: MASK });
  });

  it('leaves ordinary text alone', () => {
    expect(new Redactor(['Pa55word!x']).mask('nothing secret here: 12 rows')).toBe('nothing secret here: 12 rows');
  });
});
