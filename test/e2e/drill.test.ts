// Drills: durations from vars, shrunk by an environment, so a 24 h runbook runs in seconds.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileStage } from '../../src/plan/compile.js';
import { resolveDurations } from '../../src/runbook/durations.js';
import { validateFile } from '../../src/runbook/validate.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { ROOT } from '../helpers/cli.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

const head =
  'vars:\n  window: { default: 24h }\n  every: { default: 30s }\n  settle: { default: 1h }\nenvironments:\n  drill: { vars: { window: 1s, every: 200ms, settle: 100ms } }\n';
const stage = `  - id: 1\n    name: one\n    timeout: \${window}\n    steps:\n      - { id: a, run: "echo a >> log", undo: "echo undo-a >> log", timeout: "\${settle}" }\n      - { id: wait, pause: "\${settle}" }\n    monitor:\n      duration: \${window}\n      interval: \${every}\n      checks: [{ name: ok, command: "echo 0", expect: value == 0 }]\n`;

describe('drills', () => {
  it('plan --json shows the durations of the chosen environment', () => {
    const box = sandbox(runbook(stage, head));
    type Node = { type: string; step?: string; timeout_ms?: number; action?: { display: string } };
    const normal = JSON.parse(box.run(['plan', '1', '--json']).stdout) as { nodes: Node[] };
    const drill = JSON.parse(box.run(['plan', '1', '--json', '--env', 'drill']).stdout) as { nodes: Node[] };
    const monitor = (g: { nodes: Node[] }) => g.nodes.find((n) => n.type === 'monitor');
    expect(monitor(normal)).toMatchObject({ duration_ms: 86_400_000, interval_ms: 30_000, label: 'monitor 24h' });
    expect(monitor(drill)).toMatchObject({ duration_ms: 1000, interval_ms: 200, label: 'monitor 1s' });
    expect(drill.nodes.find((n) => n.step === 'a')?.timeout_ms).toBe(100);
    expect(drill.nodes.find((n) => n.step === 'wait')?.action?.display).toBe('wait 100ms');
  });

  it('--env drill runs a 24 h window in seconds', () => {
    const box = sandbox(runbook(stage, head));
    const t0 = Date.now();
    const r = box.run(['stage', '1', '--env', 'drill']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(box.journal().find((e) => e.event === 'window.started')).toMatchObject({ duration_ms: 1000 });
  });

  it('a value that is not a duration is a located usage error (exit 2)', () => {
    const box = sandbox(runbook(stage, head));
    const r = box.run(['plan', '1', '--set', 'window=forever']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:12:14.*'forever', not a duration/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('the shipped runbooks drill in seconds', () => {
  const files = readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml'));
  it.each(files)('%s --env drill', async (f) => {
    const r = await validateFile(join(ROOT, 'runbooks', f), { strict: true });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const vars = resolveVars(r.value.runbook, { env: {}, environment: 'drill' });
    const resolved = resolveDurations(r.value.runbook, vars);
    expect(resolved.findings).toEqual([]);
    for (const s of resolved.runbook.stages) {
      const g = compileStage(resolved.runbook, s.id, vars);
      expect(g.watch_ms, `stage ${s.id}`).toBeLessThanOrEqual(60_000);
      for (const n of g.nodes) {
        if (n.type === 'step' && n.action.kind === 'pause')
          expect(n.action.display).toMatch(/^wait (\d+(ms|s)|for the operator)/);
      }
    }
  });
});
