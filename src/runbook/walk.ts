/** Enumerations over a runbook's parts, with their paths, shared by the rules. */
import type { Path } from './diagnostics.js';
import { asAction, type Action, type Check, type Runbook, type Stage } from './types.js';

export interface Located<T> {
  value: T;
  path: Path;
  stage?: Stage;
}

export function* checks(rb: Runbook): Generator<Located<Check> & { section: string }> {
  for (const [i, c] of (rb.guards ?? []).entries()) yield { value: c, path: ['guards', i], section: 'guard' };
  for (const [s, stage] of rb.stages.entries()) {
    const base: Path = ['stages', s];
    for (const [i, c] of (stage.preflight ?? []).entries())
      yield { value: c, path: [...base, 'preflight', i], stage, section: 'preflight' };
    for (const [i, c] of (stage.monitor?.checks ?? []).entries())
      yield { value: c, path: [...base, 'monitor', 'checks', i], stage, section: 'monitor' };
    for (const [i, c] of (stage.canary?.checks ?? []).entries())
      yield { value: c, path: [...base, 'canary', 'checks', i], stage, section: 'canary' };
    for (const [i, c] of (stage.verify ?? []).entries())
      yield { value: c, path: [...base, 'verify', i], stage, section: 'verify' };
  }
}

/** Every action: steps, their undos, stage rollback steps and canary set steps. */
export function* actions(
  rb: Runbook,
): Generator<Located<Action> & { role: 'step' | 'undo' | 'rollback' | 'canary-set' }> {
  for (const [s, stage] of rb.stages.entries()) {
    const base: Path = ['stages', s];
    for (const [i, step] of (stage.steps ?? []).entries()) {
      yield { value: step, path: [...base, 'steps', i], stage, role: 'step' };
      if (step.undo !== undefined) {
        yield { value: asAction(step.undo), path: [...base, 'steps', i, 'undo'], stage, role: 'undo' };
      }
    }
    for (const [i, r] of (stage.rollback ?? []).entries())
      yield { value: asAction(r), path: [...base, 'rollback', i], stage, role: 'rollback' };
    if (stage.canary)
      yield { value: asAction(stage.canary.set), path: [...base, 'canary', 'set'], stage, role: 'canary-set' };
  }
}

/** Every string in a subtree with its path, for the interpolation rule. */
export function* strings(value: unknown, path: Path): Generator<{ text: string; path: Path }> {
  if (typeof value === 'string') yield { text: value, path };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, [...path, i]);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k]);
}
