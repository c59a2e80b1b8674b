// The lint on its corpus: every unsafe case flagged with its rule, every safe twin clean.
import { describe, expect, it } from 'vitest';
import { ALL_CODES, effectiveLint, HYGIENE_CODES, SAFETY_CODES } from '../../src/pg/lint-config.js';
import { lintSql } from '../../src/pg/lint.js';
// @ts-expect-error plain ESM shared with bench/lint.js
import { hygiene, safety } from './corpus.mjs';

interface Case {
  code: string;
  unsafe: string;
  safe: string;
  tx?: boolean;
  safeTx?: boolean;
  pg?: number;
  source: string;
}

const lintOf = (c: Case, on: boolean) => effectiveLint({ postgres: c.pg, hygiene: on });

describe('safety rules on the corpus (default settings)', () => {
  it.each((safety as Case[]).map((c) => [c.code, c.unsafe, c]))('%s flags: %s', async (_code, _sql, c) => {
    const hits = await lintSql(c.unsafe, c.tx ?? true, { lint: lintOf(c, false) });
    expect(hits.map((f) => f.code)).toContain(c.code);
  });
  it.each((safety as Case[]).map((c) => [c.code, c.safe, c]))('%s twin is clean: %s', async (_code, _sql, c) => {
    expect(await lintSql(c.safe, c.safeTx ?? c.tx ?? true, { lint: lintOf(c, false) })).toEqual([]);
  });
  it('every safety rule has a case', () => {
    const covered = new Set((safety as Case[]).map((c) => c.code));
    expect(SAFETY_CODES.filter((c) => !covered.has(c))).toEqual([]);
  });
});

describe('hygiene rules on the corpus (hygiene on)', () => {
  it.each((hygiene as Case[]).map((c) => [c.code, c.unsafe, c]))('%s flags: %s', async (_code, _sql, c) => {
    expect((await lintSql(c.unsafe, c.tx ?? true, { lint: lintOf(c, true) })).map((f) => f.code)).toContain(c.code);
    expect(await lintSql(c.unsafe, c.tx ?? true, { lint: lintOf(c, false) })).toEqual([]);
  });
  it.each((hygiene as Case[]).map((c) => [c.code, c.safe, c]))('%s twin is clean: %s', async (_code, _sql, c) => {
    expect(await lintSql(c.safe, c.tx ?? true, { lint: lintOf(c, true) })).toEqual([]);
  });
  it('every hygiene rule has a case, and every code is known', () => {
    const covered = new Set((hygiene as Case[]).map((c) => c.code));
    expect(HYGIENE_CODES.filter((c) => !covered.has(c))).toEqual([]);
    for (const c of [...safety, ...hygiene] as Case[]) expect(ALL_CODES).toContain(c.code);
  });
});
