/** Everything one run needs, passed down explicitly. */
import type { Lock } from '../journal/types.js';
import type { Journal } from '../journal/journal.js';
import { REPORT_ONLY, type EventFields, type EventName } from '../journal/events.js';
import type { Runbook } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import type { Prompter, ProcessRunner, Reporter } from './types.js';
import type { Notifier } from './notify.js';
import type { Clock, WaitClock } from './clock.js';
import type { FlagStore } from '../flags/store.js';
import type { VolatilityLookup } from '../pg/lint.js';
import type { HoldControl } from './hold.js';

export interface RunContext {
  runbook: Runbook;
  file: string;
  digest: string;
  vars: Vars;
  /** Where run steps and command checks execute: the runbook's directory. */
  cwd: string;
  shell: string;
  journal: Journal;
  lock: Lock;
  runner: ProcessRunner;
  reporter: Reporter;
  prompter: Prompter;
  operator: string;
  host: string;
  runId: string;
  /** Aborted on SIGINT: every wait and process listens to it. */
  signal: AbortSignal;
  /** Time spent waiting on people and windows, so timeouts and reports exclude it. */
  waited: WaitClock;
  /** Real time in the CLI, virtual time in the engine harness. */
  clock: Clock;
  notifier?: Notifier;
  /** Given to every run action: MIGRATE_RUNBOOK, MIGRATE_RUN_ID, MIGRATE_OPERATOR, MIGRATE_STATE_DIR (MIGRATE_STAGE is per stage). */
  stepEnv?: Record<string, string>;
  /** The SQL lint's way to the steps' databases, so the stage's risk reflects what pg_proc says of a default's functions. */
  volatility?: VolatilityLookup;
  /** Where a step is in the runbook (file:line:col), for messages about the step as a whole. */
  where?: (stage: number, step: string) => string | undefined;
  /** The flag store, opened on first use (a postgres store connects only then). */
  flags: () => Promise<FlagStore>;
  /** Where `migrate promote` reaches the canary hold that is running (absent: holds cannot be ended early). */
  holds?: HoldControl;
}

/** Journal an event for this run, secrets masked, durable before returning. */
export async function record<E extends EventName>(ctx: RunContext, event: E, fields: EventFields[E]): Promise<void> {
  const e = {
    ts: new Date(ctx.clock.now()).toISOString(),
    run_id: ctx.runId,
    runbook: ctx.runbook.name,
    digest: ctx.digest,
    event,
    operator: ctx.operator,
    ...ctx.vars.maskDeep(fields),
  };
  await ctx.journal.append(e, { sync: !REPORT_ONLY.has(event) });
  ctx.notifier?.send(e);
}

/** A wait that the interrupt path (or `signal`, e.g. a promote) can cut short; counted as waiting time. */
export async function sleep(ctx: RunContext, ms: number, signal: AbortSignal = ctx.signal): Promise<void> {
  if (ms <= 0) return;
  ctx.waited.begin();
  await ctx.clock.sleep(ms, signal);
  ctx.waited.end();
}

/** Time a prompt or other wait for people. */
export async function waiting<T>(ctx: RunContext, fn: () => Promise<T>): Promise<T> {
  ctx.waited.begin();
  try {
    return await fn();
  } finally {
    ctx.waited.end();
  }
}
