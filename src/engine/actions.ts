/** Running one action: run, http, pause, flag or sql. */
import { resolve } from 'node:path';
import { DeclinedError, InterruptedError } from '../errors.js';
import { argvOption, dashError, shellCommand, UnsafeValueError } from '../runbook/shell.js';
import { parseDuration } from '../runbook/duration.js';
import { renderText } from '../runbook/template.js';
import { errorText, request } from './http.js';
import { actionKind, type Action } from '../runbook/types.js';
import { evaluate } from '../expr/evaluate.js';
import { parseExpr } from '../expr/parse.js';
import { jsonPath } from './checks.js';
import { record, sleep, waiting, type RunContext } from './context.js';
import { EventName } from '../journal/events.js';
import { restore, showState, type FlagState, type FlagStore } from '../flags/store.js';
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

export async function runAction(ctx: RunContext, a: Action, opts: ActionOptions): Promise<ActionResult> {
  const vars = opts.vars ?? ctx.vars;
  const value = (n: string) => vars.value(n);
  const kind = actionKind(a);
  if (ctx.signal.aborted) throw new InterruptedError('interrupted');
  switch (kind) {
    case 'run': {
      // The run's own coordinates come last: a step's env: cannot make them lie.
      let env: Record<string, string> = {
        ...Object.fromEntries(Object.entries(a.env ?? {}).map(([k, v]) => [k, renderText(String(v), value)])),
        ...ctx.stepEnv, ...(opts.stage !== undefined ? { MIGRATE_STAGE: String(opts.stage) } : {}),
      };
      const cwd = a.cwd ? resolve(ctx.cwd, renderText(a.cwd, value)) : ctx.cwd;
      let cmd: { argv: string[] } | { shell: string; script: string };
      try {
        if (Array.isArray(a.run)) cmd = { argv: renderArgv(a.run, vars) };
        else ({ cmd, env } = shellCommand(ctx.shell, a.run!, vars, env));
      } catch (e) {
        if (e instanceof UnsafeValueError) return { ok: false, message: vars.mask(e.message), tail: '' };
        throw e;
      }
      const r = await ctx.runner.run(cmd, { cwd, env, timeoutMs: opts.timeoutMs, signal: ctx.signal, mask: (s) => vars.mask(s), onLine: (l) => ctx.reporter.output(opts.id, l) });
      if (r.aborted) throw new InterruptedError('interrupted');
      if (r.timedOut) return { ok: false, message: `timed out after ${opts.timeoutMs}ms; its process group was killed`, tail: r.tail, timedOut: true };
      return { ok: r.exitCode === 0, message: r.exitCode === 0 ? 'ok' : `exited with code ${r.exitCode}`, tail: r.tail };
    }
    case 'http': {
      const h = a.http!;
      try {
        const r = await request(h, vars, opts.timeoutMs ?? 30_000, ctx.signal);
        const ok = h.expect ? Boolean(evaluate(parseExpr(h.expect), { ...vars.scope(), status: r.status, value: jsonPath(r.body, h.json) as never })) : r.ok;
        return { ok, message: `HTTP ${r.status}${ok ? '' : h.expect ? ` (expected ${h.expect})` : ''}`, tail: vars.mask(r.text).slice(0, 2000) };
      } catch (e) {
        if (ctx.signal.aborted) throw new InterruptedError('interrupted');
        return { ok: false, message: vars.mask(`request failed: ${errorText(e)}`), tail: '' };
      }
    }
    case 'pause': {
      const pause = a.pause!;
      if (typeof pause === 'string') {
        await sleep(ctx, parseDuration(pause)!);
        if (ctx.signal.aborted) throw new InterruptedError('interrupted');
        return { ok: true, message: `waited ${pause}`, tail: '' };
      }
      const yes = await waiting(ctx, () => ctx.prompter.confirm(renderText(pause.message ?? 'Continue?', (n) => vars.display(n))));
      if (!yes) throw new DeclinedError('the operator declined to continue');
      return { ok: true, message: 'operator continued', tail: '' };
    }
    case 'flag':
      return setFlag(ctx, a.flag!, opts, vars);
    case 'sql': {
      const { runSql } = await import('../pg/execute.js');
      try {
        const where = opts.stage !== undefined && opts.step !== undefined ? ctx.where?.(opts.stage, opts.step) : undefined;
        const r = await runSql(a, vars, { signal: ctx.signal, onLine: (l) => ctx.reporter.output(opts.id, l), where });
        if (ctx.signal.aborted) throw new InterruptedError('interrupted');
        return { ok: r.ok, message: r.message, tail: r.ok ? '' : r.message };
      } catch (e) {
        if (e instanceof InterruptedError) throw e;
        return { ok: false, message: vars.mask(`database: ${(e as Error).message}`), tail: '' };
      }
    }
    default:
      return { ok: false, message: 'no action', tail: '' };
  }
}

/** argv: each word one argument; a word that a value starts with `-` is refused unless the var allows it. */
function renderArgv(words: string[], vars: Vars): string[] {
  return words.map((w) => {
    const culprit = argvOption(w, (n) => vars.value(n), (n) => vars.allowsDash(n));
    if (culprit) throw dashError(culprit.name);
    return renderText(w, (n) => vars.value(n));
  });
}

/**
 * Read the flag's previous state, journal it (fsynced) before writing, then
 * write: a crash at any point leaves what rollback needs to restore it.
 */
async function setFlag(ctx: RunContext, f: NonNullable<Action['flag']>, opts: ActionOptions, vars: Vars): Promise<ActionResult> {
  const store = await ctx.flags();
  return exclusive(store, async () => {
    try {
      if (f.restore) {
        const before = await store.get(f.name);
        const target: FlagState = f.restore.exists ? { exists: true, value: f.restore.value ?? null } : { exists: false };
        await restore(store, f.name, target);
        return { ok: true, message: `flag ${f.name}: ${showState(before)} -> ${showState(target)}`, tail: '' };
      }
      const value = typeof f.value === 'string' ? renderText(f.value, (n) => vars.value(n)) : f.value;
      const previous = await store.get(f.name);
      await record(ctx, EventName.FlagSet, { stage: opts.stage, step: opts.step, key: `step:${opts.step}`, record: { name: f.name, previous }, value, store: store.describe });
      await store.set(f.name, value);
      return { ok: true, message: `flag ${f.name}: ${showState(previous)} -> ${JSON.stringify(value)}`, tail: '' };
    } catch (e) {
      return { ok: false, message: vars.mask((e as Error).message), tail: '' };
    }
  });
}

/**
 * Flag writes go one at a time per store: parallel steps must not interleave
 * one's read, journal and write with another's, and few flag services are
 * safe under concurrent writes from one caller.
 */
const flagQueues = new WeakMap<FlagStore, Promise<unknown>>();
function exclusive<T>(store: FlagStore, fn: () => Promise<T>): Promise<T> {
  const next = (flagQueues.get(store) ?? Promise.resolve()).then(fn, fn);
  flagQueues.set(store, next.catch(() => undefined));
  return next;
}
