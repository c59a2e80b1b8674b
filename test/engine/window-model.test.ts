// Property: for random sample sequences, limits and check sets, the window's decision
// (breach or not, at which sample, which check) equals a small reference model.
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { engine } from '../harness/index.js';

type Result = 'passed' | 'failed' | 'nodata' | 'error';
type Policy = 'pass' | 'fail' | 'inconclusive';
interface CheckSpec {
  id: string;
  name: string;
  onNoData: Policy | null;
  results: Result[];
}
interface Case {
  rounds: number;
  tolerate: number;
  errorLimit: number;
  onNoData: Policy | null;
  checks: CheckSpec[];
}

const POOL = ['a', 'b', 'c'];
const result = fc.constantFrom<Result>('passed', 'failed', 'nodata', 'error');
const policy = fc.option(fc.constantFrom<Policy>('pass', 'fail', 'inconclusive'), { nil: null });

const list = (role: string, min: number, rounds: number) =>
  fc.uniqueArray(fc.constantFrom(...POOL), { minLength: min, maxLength: 3 }).chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.record({
          id: fc.constant(`${role}:${name}`),
          name: fc.constant(name),
          onNoData: policy,
          results: fc.array(result, { minLength: rounds, maxLength: rounds }),
        }),
      ),
    ),
  );

const cases: fc.Arbitrary<Case> = fc.integer({ min: 2, max: 7 }).chain((r) =>
  fc.record({
    rounds: fc.constant(r + 1),
    tolerate: fc.integer({ min: 0, max: 3 }),
    errorLimit: fc.integer({ min: 1, max: 4 }),
    onNoData: policy,
    // Guards and window checks draw names from one pool: equal names must not share counters.
    checks: fc.tuple(list('monitor', 1, r + 1), list('guard', 0, r + 1)).map(([m, g]) => [...m, ...g]),
  }),
);

/** The reference: per identity, count consecutive failed and error samples; without a person, no data decides by policy. */
function model(c: Case): { breach: string | null; samples: number } {
  const failed = new Map<string, number>();
  const errors = new Map<string, number>();
  let samples = 0;
  for (let round = 0; round < c.rounds; round++) {
    for (const k of c.checks) {
      samples++;
      let r = k.results[round]!;
      if (r === 'nodata') r = (k.onNoData ?? c.onNoData ?? 'inconclusive') === 'pass' ? 'passed' : 'failed';
      failed.set(k.id, r === 'failed' ? (failed.get(k.id) ?? 0) + 1 : 0);
      errors.set(k.id, r === 'error' ? (errors.get(k.id) ?? 0) + 1 : 0);
      if (failed.get(k.id)! > c.tolerate || errors.get(k.id)! >= c.errorLimit) return { breach: k.id, samples };
    }
  }
  return { breach: null, samples };
}

const checkYaml = (k: CheckSpec, indent: string) =>
  `${indent}- { name: ${k.name}, command: "./${k.id.replace(':', '-')}", expect: value < 1${k.onNoData ? `, on_no_data: ${k.onNoData}` : ''} }\n`;

function yaml(c: Case): string {
  const monitor = c.checks.filter((k) => k.id.startsWith('monitor:'));
  const guards = c.checks.filter((k) => k.id.startsWith('guard:'));
  return `version: 1\nname: t\n${guards.length ? `guards:\n${guards.map((k) => checkYaml(k, '  ')).join('')}` : ''}stages:
  - id: 1
    name: one
    steps: [{ id: a, run: "./apply", undo: "./revert" }]
    monitor:
      duration: ${(c.rounds - 1) * 30}s
      interval: 30s
      tolerate: ${c.tolerate}
      error_limit: ${c.errorLimit}
${c.onNoData ? `      on_no_data: ${c.onNoData}\n` : ''}      checks:
${monitor.map((k) => checkYaml(k, '        ')).join('')}`;
}

const reply = (r: Result) =>
  r === 'passed'
    ? { stdout: '0' }
    : r === 'failed'
      ? { stdout: '5' }
      : r === 'nodata'
        ? { stdout: '' }
        : { exit: 2, stderr: 'down' };

test.prop([cases], { numRuns: 150 })('the window decides as the reference model', async (c) => {
  const h = await engine(yaml(c));
  for (const k of c.checks) h.runner.on(`./${k.id.replace(':', '-')}`, (n) => reply(k.results[n]!));
  const r = await h.stage(1);
  const want = model(c);
  const breach = h.events('monitor.breach')[0];
  expect({ breach: breach?.check_id ?? null, samples: h.events('check.sample').length, code: r.code }).toEqual({
    ...want,
    code: want.breach ? 1 : 0,
  });
  expect(h.runner.count('./revert')).toBe(want.breach ? 1 : 0);
});
