// The published schema is the one the CLI validates with, and a standard
// JSON Schema validator (as editors use) agrees with it on real runbooks.
import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runbookSchema } from '../../src/runbook/schema.js';
import { ROOT } from '../helpers/cli.js';

const published = JSON.parse(readFileSync(join(ROOT, 'schema/runbook.schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const check = ajv.compile(published);

describe('schema/runbook.schema.json', () => {
  it('is generated from the schema the CLI uses', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(runbookSchema)));
  });
  it.each(readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml')))('accepts runbooks/%s', (f) => {
    const ok = check(parse(readFileSync(join(ROOT, 'runbooks', f), 'utf8'), { merge: true }));
    expect(check.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
  it.each([
    'unknown-key.yaml',
    'bad-duration.yaml',
    'bad-enum.yaml',
    'wrong-type.yaml',
    'missing-key.yaml',
    'version.yaml',
  ])('rejects %s like the CLI does', (f) => {
    expect(check(parse(readFileSync(join(ROOT, 'test/fixtures/invalid', f), 'utf8')))).toBe(false);
  });
});
