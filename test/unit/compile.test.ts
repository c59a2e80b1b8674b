import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileStage } from '../../src/plan/compile.js';
import { toDot, toMermaid } from '../../src/plan/diagram.js';
import { validateFile, validateSource } from '../../src/runbook/validate.js';
import { resolveVars } from '../../src/runbook/vars.js';
import type { Runbook } from '../../src/runbook/types.js';
import { ROOT } from '../helpers/cli.js';

async function load(file: string): Promise<Runbook> {
  const r = await validateFile(join(ROOT, 'runbooks', file));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.runbook;
}

async function inline(yaml: string): Promise<Runbook> {
  const r = await validateSource('inline.yaml', yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.runbook;
}

describe('compile', () => {
  it('otp-cleanup stage 2 (snapshot)', async () => {
    const rb = await load('otp-cleanup.yaml');
    expect(compileStage(rb, 2, resolveVars(rb, { env: {} }))).toMatchSnapshot();
  });

  it('pool-v2 stage 3 canary (snapshot)', async () => {
    const rb = await load('pool-v2-rollout.yaml');
    const g = compileStage(rb, 3, resolveVars(rb, { env: {} }));
    expect(g.nodes.filter((n) => n.type === 'canary').map((n) => n.id)).toEqual([
      'canary:5',
      'canary:10',
      'canary:25',
      'canary:50',
      'canary:75',
      'canary:100',
    ]);
    expect(g.watch_ms).toBe(17 * 3_600_000);
    expect(toMermaid(g)).toMatchSnapshot();
  });

  const base = (stage: string) =>
    `version: 1\nname: t\nvars:\n  token: { env: TOKEN, secret: true }\nstages:\n${stage}`;

  it('levels follow needs, and parallel roots share level 1', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    irreversible: true\n    steps:\n      - { id: a, run: "true" }\n      - { id: b, needs: [], run: "true" }\n      - { id: c, needs: [a, b], run: "true" }\n      - { id: d, needs: [c], run: "true" }\n      - { id: e, needs: [a], run: "true" }\n`,
      ),
    );
    const g = compileStage(rb, 1, resolveVars(rb));
    expect(g.levels).toEqual([['a', 'b'], ['c', 'e'], ['d']]);
    expect(g.edges).toContainEqual({ from: 'step:a', to: 'step:c' });
  });

  it('a step without needs follows the step declared before it; needs: [] opts into parallel', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    irreversible: true\n    steps:\n      - { id: a, run: "true" }\n      - { id: b, run: "true" }\n      - { id: c, needs: [], run: "true" }\n      - { id: d, run: "true" }\n      - { id: e, needs: [a, c], run: "true" }\n`,
      ),
    );
    const g = compileStage(rb, 1, resolveVars(rb));
    expect(g.levels).toEqual([
      ['a', 'c'],
      ['b', 'd', 'e'],
    ]);
    const needs = Object.fromEntries(g.nodes.flatMap((n) => (n.type === 'step' ? [[n.step, n.needs]] : [])));
    expect(needs).toEqual({ a: [], b: ['a'], c: [], d: ['c'], e: ['a', 'c'] });
    expect(g.edges).toContainEqual({ from: 'step:a', to: 'step:b' });
    expect(g.edges).not.toContainEqual({ from: 'step:b', to: 'step:c' });
  });

  it('a long chain of declared steps compiles (levels are not computed recursively)', async () => {
    // Longer than a runbook file may be (its value limit): compile takes data, so the steps are made here.
    const rb = await inline(
      base(`  - id: 1\n    name: s\n    irreversible: true\n    steps: [{ id: s0, run: "true" }]\n`),
    );
    const step = rb.stages[0]!.steps![0]!;
    rb.stages[0]!.steps = Array.from({ length: 12_000 }, (_, i) => ({ ...step, id: `s${i}` }));
    const g = compileStage(rb, 1, resolveVars(rb));
    expect(g.levels).toHaveLength(12_000);
  });

  it.each([
    ['high', 'confirm', true],
    ['critical', 'stage-name', true],
    ['low', null, false],
  ])('risk %s implies gate %s', async (risk, gate, implied) => {
    const rb = await inline(
      base(`  - id: 1\n    name: s\n    risk: ${risk}\n    irreversible: true\n    steps: [{ run: "true" }]\n`),
    );
    const node = compileStage(rb, 1, resolveVars(rb)).nodes.find((n) => n.type === 'gate');
    if (gate === null) expect(node).toBeUndefined();
    else expect(node).toMatchObject({ gate, implied });
  });

  it('rollback plan: undos in reverse, then stage rollback', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    steps:\n      - { id: a, run: "true", undo: undo-a }\n      - { id: b, needs: [a], run: "true", undo: undo-b }\n      - { id: c, needs: [b], run: "true" }\n    rollback: [final]\n`,
      ),
    );
    expect(compileStage(rb, 1, resolveVars(rb)).rollback.map((r) => r.action.display)).toEqual([
      'undo-b',
      'undo-a',
      'final',
    ]);
  });

  // plan --json's rollback list comes from plan/rollback.ts (what the engine runs): pinned for every shipped stage.
  it.each([
    'demo.yaml',
    'otp-cleanup.yaml',
    'pool-v2-rollout.yaml',
    'process-dictionary.yaml',
    'dataflow-drop-column.yaml',
  ])('rollback plan of every stage in %s (snapshot)', async (file) => {
    const rb = await load(file);
    const vars = resolveVars(rb, { env: {} });
    expect(Object.fromEntries(rb.stages.map((s) => [s.id, compileStage(rb, s.id, vars).rollback]))).toMatchSnapshot();
  });

  it('rollback plan: canary first (set or its undo), flag steps restore, undo_sql, named and numbered stage rollback steps', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    steps:\n      - { id: a, run: "true", undo: { name: "undo \${token}", run: "undo-a \${token}" } }\n      - { id: f, flag: { name: ff, value: true } }\n      - { id: q, sql: "select 1", undo_sql: "  select \${token}  " }\n    canary:\n      weights: [10, 100]\n      hold: 1m\n      set: "set-weight \${weight}"\n    rollback:\n      - { name: "named \${token}", run: "r1" }\n      - r2\n`,
      ),
    );
    const g = compileStage(rb, 1, resolveVars(rb, { env: { TOKEN: 's3cr3t' } }));
    expect(g.rollback).toEqual([
      { source: 'canary', label: 'traffic back to 0%', action: { kind: 'run', display: 'set-weight 0' } },
      { source: 'q', label: 'undo q', action: { kind: 'sql', display: 'select ***' } },
      { source: 'f', label: 'undo f', action: { kind: 'flag', display: 'restore flag ff to its previous value' } },
      { source: 'a', label: 'undo a', action: { kind: 'run', display: "undo-a '***'" } },
      { source: 'stage', label: 'named ***', action: { kind: 'run', display: 'r1' } },
      { source: 'stage', label: 'rollback step 2', action: { kind: 'run', display: 'r2' } },
    ]);
    const undo = await inline(
      base(
        `  - id: 1\n    name: s\n    irreversible: true\n    canary:\n      weights: [10]\n      hold: 1m\n      set: { run: "set \${weight}", undo: "unset" }\n`,
      ),
    );
    expect(compileStage(undo, 1, resolveVars(undo)).rollback).toEqual([
      { source: 'canary', label: 'traffic back to 0%', action: { kind: 'run', display: 'unset' } },
    ]);
  });

  it('rollback plan shows a canary undo as it runs: with weight 0', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    irreversible: true\n    canary:\n      weights: [10]\n      hold: 1m\n      set: { run: "set \${weight}", undo: "unset \${weight}" }\n`,
      ),
    );
    expect(compileStage(rb, 1, resolveVars(rb)).rollback[0]?.action.display).toBe('unset 0');
  });

  it('secrets are masked in everything printable', async () => {
    const rb = await inline(
      base(
        `  - id: 1\n    name: s\n    confirm: "Use \${token}?"\n    steps:\n      - { id: a, run: "deploy --token \${token}", undo: "undeploy \${token}" }\n`,
      ),
    );
    const g = compileStage(rb, 1, resolveVars(rb, { env: { TOKEN: 's3cr3t-value' } }));
    const text = JSON.stringify(g) + toMermaid(g) + toDot(g);
    expect(text).not.toContain('s3cr3t-value');
    expect(text).toContain('***');
  });

  it('is pure: same input, same output', async () => {
    const rb = await load('otp-cleanup.yaml');
    const vars = resolveVars(rb, { env: {} });
    expect(compileStage(rb, 4, vars)).toEqual(compileStage(rb, 4, vars));
  });
});
