/**
 * The action registry. A new action kind is one module, one line in `Act`,
 * `actions` and `actionOf` here, and its field in the schema; nothing else
 * chooses by kind.
 */
import { InterruptedError } from '../errors.js';
import type { RunContext } from '../engine/context.js';
import type { Action } from '../runbook/types.js';
import { flag, type FlagAction } from './flag.js';
import { http, type HttpAction } from './http.js';
import { pause, type PauseAction } from './pause.js';
import { run, type RunAction } from './run.js';
import { sql, type SqlAction } from './sql.js';
import type { ActionModule, ActionOptions, ActionResult } from './types.js';

/** An action after validation: exactly one kind, with its own fields. */
export type Act = RunAction | SqlAction | HttpAction | PauseAction | FlagAction;
export type ActKind = Act['kind'];

export const actions: { [A in Act as A['kind']]: ActionModule<A> } = { run, sql, http, pause, flag };

/** The action as a tagged value (validation guarantees exactly one kind). */
export function actionOf(a: Action): Act {
  if (a.run !== undefined) return { kind: 'run', run: a.run, env: a.env, cwd: a.cwd };
  if (a.sql !== undefined)
    return {
      kind: 'sql',
      sql: a.sql,
      database: a.database,
      transaction: a.transaction,
      lock_timeout: a.lock_timeout,
      statement_timeout: a.statement_timeout,
    };
  if (a.http !== undefined) return { kind: 'http', http: a.http };
  if (a.pause !== undefined) return { kind: 'pause', pause: a.pause };
  if (a.flag !== undefined) return { kind: 'flag', flag: a.flag };
  throw new Error(`internal: an action with none of ${Object.keys(actions).join(', ')}`);
}

/** The module for an action, typed to take that action (TypeScript cannot correlate the two on its own). */
export function moduleOf<A extends Act>(a: A): ActionModule<A> {
  return actions[a.kind] as unknown as ActionModule<A>;
}

export function describeAct(a: Act, show: (name: string) => string): string {
  return moduleOf(a).describe(a, show);
}

export async function runAction(ctx: RunContext, a: Action, opts: ActionOptions): Promise<ActionResult> {
  if (ctx.signal.aborted) throw new InterruptedError('interrupted');
  const act = actionOf(a);
  return moduleOf(act).run(act, ctx, { ...opts, vars: opts.vars ?? ctx.vars });
}

export type { ActionModule, ActionOptions, ActionResult } from './types.js';
