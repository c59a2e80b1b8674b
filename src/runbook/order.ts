/**
 * Step order (SPEC 0): a step without `needs` depends on the step declared
 * before it; `needs: [...]` (also `needs: []`) states its edges exactly. So a
 * runbook runs top to bottom unless it asks for parallelism.
 */
import { stepId, type Step } from './types.js';

/** Each step's effective needs, by index; ids that are not steps of the stage are dropped. */
export function stepNeeds(steps: Step[]): string[][] {
  const ids = steps.map(stepId);
  const known = new Set(ids);
  return steps.map((s, i) =>
    s.needs === undefined ? (i > 0 ? [ids[i - 1]!] : []) : s.needs.filter((n) => known.has(n) && n !== ids[i]),
  );
}

/**
 * Each step's depth in the needs graph (0 = no needs), without recursion so
 * a chain of thousands of steps cannot overflow the stack. Steps on a cycle
 * get no level (validation reports the cycle).
 */
export function stepLevels(steps: Step[]): Map<string, number> {
  const ids = steps.map(stepId);
  const needs = stepNeeds(steps);
  const index = new Map(ids.map((id, i) => [id, i]));
  const waiting = needs.map((n) => n.length);
  const dependents: number[][] = ids.map(() => []);
  needs.forEach((ns, i) => ns.forEach((n) => dependents[index.get(n)!]!.push(i)));
  const level = new Map<string, number>();
  const ready = ids.flatMap((_, i) => (waiting[i] === 0 ? [i] : []));
  for (let k = 0; k < ready.length; k++) {
    const i = ready[k]!;
    level.set(
      ids[i]!,
      needs[i]!.reduce((d, n) => Math.max(d, level.get(n)! + 1), 0),
    );
    for (const j of dependents[i]!) if (--waiting[j]! === 0) ready.push(j);
  }
  return level;
}

/** Cycles in the needs graph, each once, as the ids along it (first id repeated at the end). Iterative DFS. */
export function needsCycles(steps: Step[]): { cycle: string[]; index: number }[] {
  const ids = steps.map(stepId);
  const index = new Map(ids.map((id, i) => [id, i]));
  const needs = stepNeeds(steps).map((ns) => ns.map((n) => index.get(n)!));
  const state: ('new' | 'open' | 'done')[] = ids.map(() => 'new');
  const found: { cycle: string[]; index: number }[] = [];
  for (let root = 0; root < ids.length; root++) {
    if (state[root] !== 'new') continue;
    // Each frame: a node and how many of its needs have been looked at.
    const stack: [number, number][] = [[root, 0]];
    state[root] = 'open';
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const [node, next] = frame;
      if (next === needs[node]!.length) {
        state[node] = 'done';
        stack.pop();
        continue;
      }
      frame[1]++;
      const n = needs[node]![next]!;
      if (state[n] === 'open') {
        const from = stack.findIndex(([x]) => x === n);
        found.push({ cycle: [...stack.slice(from).map(([x]) => ids[x]!), ids[n]!], index: n });
      } else if (state[n] === 'new') {
        state[n] = 'open';
        stack.push([n, 0]);
      }
    }
  }
  return found;
}
