// One broken runbook per rule; each file's first line says what must be reported.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFile } from '../../src/runbook/validate.js';
import { ROOT } from '../helpers/cli.js';

const dir = join(ROOT, 'test/fixtures/invalid');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => {
    const header = readFileSync(join(dir, f), 'utf8').split('\n', 1)[0] ?? '';
    const m = /^# expect: (\S+) (\d+):(\d*)\s*(.*)$/.exec(header);
    if (!m) throw new Error(`${f}: first line must be '# expect: code line:col [text]'`);
    const [, code = '', line, column, text] = m;
    return { file: f, code, line: Number(line), column: column ? Number(column) : undefined, text };
  });

describe('invalid runbooks are reported at their place', () => {
  it.each(cases)('$file -> $code at $line:$column', async ({ file, code, line, column, text }) => {
    const r = await validateFile(join(dir, file), { strict: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.errors.find((d) => (code.endsWith('-') ? d.code.startsWith(code) : d.code === code));
    expect(hit, JSON.stringify(r.errors, null, 2)).toBeDefined();
    expect(hit!.line).toBe(line);
    if (column !== undefined) expect(hit!.column).toBe(column);
    if (text) expect(hit!.message).toContain(text);
    expect(hit!.file).toBe(join(dir, file));
  });

  it('covers every semantic rule', async () => {
    const { rules } = await import('../../src/runbook/rules/index.js');
    // Rules whose findings the corpus asserts; a new rule must add a fixture.
    const covered = [
      'stageIdsContiguous',
      'stepIdsUnique',
      'needsExist',
      'needsAcyclic',
      'oneAction',
      'sqlKeysOnSql',
      'oneProbe',
      'varsDeclared',
      'environmentVarsDeclared',
      'expressionsValid',
      'notifyValid',
      'durationsValid',
      'intervalsShorter',
      'canaryShape',
      'stageHasRollback',
      'monitorHasChecks',
      'secretsHaveNoDefault',
      'stageNamesUnique',
      'stageNotEmpty',
      'checkNamesUnique',
      'varsWellFormed',
      'queryOffsetNeedsPrometheus',
      'promqlVarsPlaced',
      'promqlWellFormed',
      'requestsSendable',
    ];
    expect(Object.keys(rules).sort()).toEqual(covered.sort());
  });
});

describe('the shipped runbooks', () => {
  const runbooks = readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml'));
  it('has the five field runbooks', () => {
    expect(runbooks.sort()).toEqual([
      'dataflow-drop-column.yaml',
      'demo.yaml',
      'otp-cleanup.yaml',
      'pool-v2-rollout.yaml',
      'process-dictionary.yaml',
    ]);
  });
  it.each(runbooks)('%s validates under --strict', async (f) => {
    const r = await validateFile(join(ROOT, 'runbooks', f), { strict: true });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
