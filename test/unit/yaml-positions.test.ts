// Where a diagnostic points, checked against a second YAML parser: for every
// value and key of the shipped runbooks and of tricky snippets, `locate` (on
// js-yaml's listener events) must give the offset that the `yaml` package's
// node ranges give, and a character inside a string must land where yaml's
// scalar says it is.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { Path } from '../../src/runbook/diagnostics.js';
import { loadRunbookSource, locate } from '../../src/runbook/load.js';

/** [path, offset of the value, offset of its key (in a mapping)], from the `yaml` package. */
function reference(source: string): [Path, number, number | undefined][] {
  const out: [Path, number, number | undefined][] = [];
  const walk = (node: Node | null | undefined, path: Path, keyAt?: number) => {
    if (!node?.range) return;
    out.push([path, node.range[0], keyAt]);
    if (isMap(node))
      for (const pair of node.items) {
        // yaml gives a merge key's value as a symbol: its keys come from elsewhere.
        const key = isScalar(pair.key) && typeof pair.key.value !== 'symbol' ? String(pair.key.value) : undefined;
        if (key === undefined || key === '<<') continue;
        const keyNode = pair.key as Node;
        if (pair.value && (pair.value as Node).range) walk(pair.value as Node, [...path, key], keyNode.range?.[0]);
      }
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item as Node, [...path, i]));
  };
  walk(parseDocument(source, { merge: true }).contents as Node, []);
  return out;
}

const position = (source: string, path: Path, atKey = false, offset?: number) => {
  const r = loadRunbookSource('x.yaml', source);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const d = locate(r.loaded, { path, severity: 'error', code: 'c', message: 'm', atKey, offset });
  const lines = source.split('\n');
  return lines.slice(0, d.line - 1).reduce((n, l) => n + l.length + 1, 0) + d.column - 1;
};

const snippets: [string, string][] = [
  ['block mapping and sequence', 'a: 1\nb:\n  - x\n  - y: 2\n    z: "q"\nc: end\n'],
  ['flow collections', 'a: {b: 1, c: [2, 3], "d": \'e\'}\nf: [ {g: h}, [i] ]\n'],
  ['comments and blank lines', 'a: # why\n\n  # more\n  b: 1 # trailing\nc:   x   \n'],
  ['anchors, tags and aliases', 'a: &x {b: 1}\nc: *x\nd: !!str 12\ne: &y !!str z\n'],
  ['merge keys', 'base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n'],
  ['block scalars', 'a: |\n  one\n  two\nb: >-\n  folded\n  text\nc: last\n'],
  ['explicit keys', '? a\n: 1\n? b\n: [2]\n'],
  ['quoted keys and values', "\"a b\": \"c\\\"d\"\n'e': 'f''g'\n"],
  ['compact sequence of mappings', 'steps:\n- id: a\n  run: x\n- id: b\n  run: y\n'],
  ['multi-line plain scalar', 'a: one\n  two\n  three\nb: 1\n'],
];

const runbooks = readdirSync('runbooks')
  .filter((f) => f.endsWith('.yaml'))
  .map((f): [string, string] => [f, readFileSync(join('runbooks', f), 'utf8')]);

describe('locate agrees with the yaml package on every value', () => {
  it.each([...snippets, ...runbooks])('%s', (_name, source) => {
    const ref = reference(source);
    expect(ref.length).toBeGreaterThan(2);
    for (const [path, at, keyAt] of ref) {
      expect(position(source, path), JSON.stringify(path)).toBe(at);
      if (keyAt !== undefined) expect(position(source, path, true), `key of ${JSON.stringify(path)}`).toBe(keyAt);
    }
  });
});

describe('a character inside a string', () => {
  it.each([
    ['plain', 'a: hello world\n', 6, 'w'],
    ['double-quoted with an escape', 'a: "x\\ty z"\n', 4, 'z'],
    ['single-quoted', "a: 'it''s here'\n", 5, 'h'],
    ['literal block', 'a: |\n  first\n  second line\n', 6, 's'],
    ['folded block', 'a: >\n  one\n  two\n', 4, 't'],
  ])('%s', (_name, source, offset, ch) => {
    expect(source.charAt(position(source, ['a'], false, offset))).toBe(ch);
  });
});

describe('a key with no value', () => {
  it('points at the key', () => {
    const source = 'a: {b, c: 1}\n';
    expect(position(source, ['a', 'b'])).toBe(source.indexOf('b'));
    expect(position(source, ['a', 'c'])).toBe(source.indexOf('1'));
  });
});
