// Declared step order: a step without needs waits for the step declared before it.
import { describe, expect, it } from 'vitest';
import { runbook, sandbox } from '../helpers/sandbox.js';

describe('step order', () => {
  it('steps without needs run one after another, in declared order', () => {
    // 'first' is slow; if 'second' started beside it, the log would read second, first.
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: first, run: "sleep 0.5; echo first >> log" }\n      - { id: second, run: "echo second >> log" }\n`,
      ),
    );
    expect(box.run(['graph', '1']).stdout).toMatch(/n_step_first --> n_step_second/);
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(box.lines('log')).toEqual(['first', 'second']);
  });

  it('needs: [] opts into parallel, and plan shows it', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: one\n    irreversible: true\n    steps:\n      - { id: slow, run: "sleep 0.5; echo slow >> log" }\n      - { id: fast, needs: [], run: "echo fast >> log" }\n`,
      ),
    );
    const plan = JSON.parse(box.run(['plan', '1', '--json']).stdout);
    expect(plan.levels).toEqual([['slow', 'fast']]);
    // The graph draws only the declared edges: none into 'fast'.
    const graph = box.run(['graph', '1']).stdout;
    expect(graph).toMatch(/n_step_fast\[/);
    expect(graph).not.toMatch(/--> n_step_fast/);
    expect(box.run(['graph', '1', '--format', 'dot']).stdout).not.toMatch(/-> "step:fast"/);
    expect(box.run(['stage', '1']).code).toBe(0);
    expect(box.lines('log')).toEqual(['fast', 'slow']);
  });
});
