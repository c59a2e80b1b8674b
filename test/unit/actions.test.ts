// Actions and probes after validation: one tagged kind with its own fields, one module per kind in one table.
import { describe, expect, it } from 'vitest';
import { actionOf, actions, describeAct } from '../../src/actions/index.js';
import { PROBE_KEYS, probeOf, probes } from '../../src/probes/index.js';
import { jsonPath } from '../../src/probes/http.js';
import { runbookSchema } from '../../src/runbook/schema.js';
import { ACTION_KEYS, type Action, type Check } from '../../src/runbook/types.js';

const show = (name: string) => (name === 'token' ? '***' : `<${name}>`);

describe('actions', () => {
  it('every action field of the schema has its module, and nothing else does', () => {
    expect(Object.keys(actions).sort()).toEqual([...ACTION_KEYS].sort());
    for (const [kind, m] of Object.entries(actions)) expect(m.kind).toBe(kind);
  });

  it.each<[string, Action, object, string]>([
    [
      'shell run',
      { name: 'n', run: 'deploy ${token}', env: { A: 1 }, cwd: 'x', timeout: '1m' },
      { kind: 'run', run: 'deploy ${token}', env: { A: 1 }, cwd: 'x' },
      "deploy '***'",
    ],
    ['argv run', { run: ['echo', '${v}'] }, { kind: 'run', run: ['echo', '${v}'] }, 'echo <v>'],
    [
      'sql',
      { sql: ' select ${v} ', database: 'db', transaction: false },
      { kind: 'sql', sql: ' select ${v} ', database: 'db', transaction: false },
      'select <v>',
    ],
    [
      'http',
      { http: { url: 'http://h/${v}', method: 'POST' } },
      { kind: 'http', http: { url: 'http://h/${v}', method: 'POST' } },
      'POST http://h/%3Cv%3E',
    ],
    ['timed pause', { pause: '5m' }, { kind: 'pause', pause: '5m' }, 'wait 5m'],
    [
      'confirm pause',
      { pause: { until: 'confirm' } },
      { kind: 'pause', pause: { until: 'confirm' } },
      'wait for the operator: continue?',
    ],
    [
      'flag set',
      { flag: { name: 'f', value: '${v}' } },
      { kind: 'flag', flag: { name: 'f', value: '${v}' } },
      'set flag f = "<v>"',
    ],
    [
      'flag restore',
      { flag: { name: 'f', value: null, restore: { exists: false } } },
      { kind: 'flag', flag: { name: 'f', value: null, restore: { exists: false } } },
      'restore flag f to (absent)',
    ],
  ])('%s: its kind and only its fields, described by its module', (_name, a, tagged, display) => {
    const act = actionOf(a);
    expect(JSON.parse(JSON.stringify(act))).toEqual(tagged);
    expect(describeAct(act, show)).toBe(display);
  });

  it('an action with no kind is an internal error (validation refuses it first)', () => {
    expect(() => actionOf({ name: 'nothing' })).toThrow(/internal/);
  });
});

describe('probes', () => {
  // A check's fields that are not its probe; every other field of the schema's check names a probe kind.
  const NOT_PROBES = ['name', 'database', 'expect', 'baseline', 'on_no_data', 'timeout'];

  it('every probe field of the schema has its module, and nothing else does', () => {
    const fields = Object.keys((runbookSchema.definitions.check as { properties: object }).properties);
    expect(fields.filter((f) => !NOT_PROBES.includes(f)).sort()).toEqual([...PROBE_KEYS].sort());
    for (const [kind, m] of Object.entries(probes)) expect(m.kind).toBe(kind);
  });

  it.each(PROBE_KEYS)('a check with %s is that probe', (kind) => {
    expect(
      probeOf({ name: 'c', [kind]: kind === 'http' || kind === 'prometheus' ? { url: 'u' } : 'x' } as Check).kind,
    ).toBe(kind);
  });
});

describe('http json paths', () => {
  it.each<[unknown, string, unknown]>([
    [{ a: { b: 2 } }, 'a.b', 2],
    [{ a: [5, 6] }, 'a.1', 6],
    [{ a: 1 }, 'constructor', undefined],
    [{ a: 1 }, '__proto__', undefined],
    [{ a: { b: 2 } }, 'a.toString', undefined],
  ])('%j at %s is %j', (body, path, want) => {
    expect(jsonPath(body, path)).toEqual(want);
  });
});
