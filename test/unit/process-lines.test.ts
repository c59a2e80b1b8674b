// A real child's long lines through ChildRunner: masking sees the whole secret, then the line is cut.
import { describe, expect, it } from 'vitest';
import { ChildRunner, MAX_LINE } from '../../src/engine/process.js';

const SECRET = 'tok-' + 'S'.repeat(60);
const mask = (s: string) => s.split(SECRET).join('***');
const run = async (script: string) => {
  const lines: string[] = [];
  const r = await new ChildRunner().run(
    { script },
    { cwd: process.cwd(), env: { SECRET }, mask, onLine: (l) => lines.push(l) },
  );
  return { lines, tail: r.tail };
};

describe('long output lines and secrets', () => {
  it.each([MAX_LINE - 10, MAX_LINE - 1, MAX_LINE - 40, MAX_LINE])(
    'a secret starting at column %i of a long line leaves no prefix of it',
    async (at) => {
      const { lines, tail } = await run(
        `printf '%${at}s' '' | tr ' ' a; printf '%s' "$SECRET"; head -c 10000 /dev/zero | tr '\\0' b; echo`,
      );
      for (const text of [...lines, tail]) {
        expect(text).not.toContain('tok-S');
        expect(text).toMatch(/more characters cut\]$/);
      }
      expect(lines[0]!.length).toBeLessThan(MAX_LINE + 60);
    },
  );

  it('a short line is untouched, a long one says how much was cut', async () => {
    const { lines } = await run(`echo "x $SECRET"; head -c ${MAX_LINE + 100} /dev/zero | tr '\\0' c; echo`);
    expect(lines[0]).toBe('x ***');
    expect(lines[1]).toBe(`${'c'.repeat(MAX_LINE)}… [100 more characters cut]`);
  });
});
