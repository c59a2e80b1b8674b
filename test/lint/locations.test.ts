// Every finding points at its statement's exact line and column in the YAML, in every scalar style.
import { describe, expect, it } from 'vitest';
import { validateSource } from '../../src/runbook/validate.js';

const book = (step: string) =>
  `version: 1\nname: s\nstages:\n  - id: 1\n    name: one\n    irreversible: true\n    steps:\n${step}`;

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

const styles: [string, string][] = [
  ['literal |', '      - sql: |\n          SELECT 1;\n          ALTER TABLE t DROP COLUMN c;\n'],
  [
    'folded >',
    '      - sql: >\n          SELECT 1;\n          SELECT 2;\n\n          ALTER TABLE t\n          DROP COLUMN c;\n',
  ],
  [
    'folded >- with more-indented lines',
    '      - sql: >-\n          SELECT 1;\n            SELECT 2;\n          ALTER TABLE t DROP COLUMN c;\n',
  ],
  [
    'literal |2 with a more-indented first line',
    '      - sql: |2\n            SELECT 1;\n          ALTER TABLE t DROP COLUMN c;\n',
  ],
  [
    'double-quoted with escapes',
    '      - sql: "SELECT \'\\x41\\u00e9\', \\"q\\";\\n\\tALTER TABLE t DROP COLUMN c;"\n',
  ],
  [
    'double-quoted over lines',
    '      - sql: "SELECT 1;\n          SELECT \\\n          2; ALTER TABLE t DROP COLUMN c;"\n',
  ],
  ["single-quoted with ''", "      - sql: 'SELECT ''a''; ALTER TABLE t DROP COLUMN c;'\n"],
  ['plain over lines', '      - sql: SELECT 1;\n          SELECT 2;\n          ALTER TABLE t DROP COLUMN c;\n'],
];

describe('finding locations', () => {
  it.each(styles)('%s', async (_style, step) => {
    const yaml = book(step);
    const r = await validateSource('x.yaml', yaml);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const w = r.value.warnings.find((d) => d.code === 'sql-drop-column');
    expect(w).toMatchObject(where(yaml, 'ALTER TABLE t'));
  });

  it('a syntax error inside a folded scalar points at the bad token', async () => {
    const yaml = book('      - sql: >\n          SELECT 1;\n          SELEC 2;\n');
    const r = await validateSource('x.yaml', yaml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.find((d) => d.code === 'sql-syntax')).toMatchObject(where(yaml, 'SELEC 2'));
  });
});
