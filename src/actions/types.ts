/**
 * An action is what a step, an undo, a rollback step or a canary's set does
 * (run, sql, http, pause, flag). Each kind is one module registered in
 * ./index.ts: it describes itself for plan and runs itself for the engine.
 */
import type { RunContext } from '../engine/context.js';
import type { Vars } from '../runbook/vars.js';

export interface ActionResult {
  ok: boolean;
  message: string;
  tail: string;
  timedOut?: boolean;
}

export interface ActionOptions {
  id: string;
  timeoutMs: number | null;
  vars?: Vars;
  /** The stage and step it belongs to, for what it journals (a flag's previous value). */
  stage?: number;
  step?: string;
}

/** One action kind; `A` is its tagged spec (`{ kind: 'sql', sql, database, ... }`). */
export interface ActionModule<A extends { kind: string }> {
  kind: A['kind'];
  /** For plan and the journal: from the template with printable values (secrets masked). */
  describe(action: A, show: (name: string) => string): string;
  run(action: A, ctx: RunContext, opts: ActionOptions & { vars: Vars }): Promise<ActionResult>;
}
