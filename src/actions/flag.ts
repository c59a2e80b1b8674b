/** `flag:` actions: set a flag (its previous state journaled first), or restore one exactly (rollback). */
import { record } from '../engine/context.js';
import { restore, showState, type FlagState, type FlagStore } from '../flags/store.js';
import { EventName } from '../journal/events.js';
import { argvOption } from '../runbook/shell.js';
import { renderText } from '../runbook/template.js';
import type { Action } from '../runbook/types.js';
import type { ActionModule } from './types.js';

export interface FlagAction {
  kind: 'flag';
  flag: NonNullable<Action['flag']>;
}

/**
 * Flag writes go one at a time per store: parallel steps must not interleave
 * one's read, journal and write with another's, and few flag services are
 * safe under concurrent writes from one caller.
 */
const flagQueues = new WeakMap<FlagStore, Promise<unknown>>();
function exclusive<T>(store: FlagStore, fn: () => Promise<T>): Promise<T> {
  const next = (flagQueues.get(store) ?? Promise.resolve()).then(fn, fn);
  flagQueues.set(
    store,
    next.catch(() => undefined),
  );
  return next;
}

export const flag: ActionModule<FlagAction> = {
  kind: 'flag',
  describe({ flag: f }, show) {
    if (f.restore)
      return `restore flag ${f.name} to ${f.restore.exists ? JSON.stringify(f.restore.value) : '(absent)'}`;
    return `set flag ${f.name} = ${typeof f.value === 'string' ? JSON.stringify(renderText(f.value, show)) : JSON.stringify(f.value)}`;
  },
  /**
   * Read the flag's previous state, journal it (fsynced) before writing, then
   * write: a crash at any point leaves what rollback needs to restore it.
   */
  async run({ flag: f }, ctx, opts) {
    const { vars } = opts;
    const store = await ctx.flags();
    return exclusive(store, async () => {
      try {
        if (f.restore) {
          const before = await store.get(f.name);
          const target: FlagState = f.restore.exists
            ? { exists: true, value: f.restore.value ?? null }
            : { exists: false };
          await restore(store, f.name, target);
          return { ok: true, message: `flag ${f.name}: ${showState(before)} -> ${showState(target)}`, tail: '' };
        }
        const value = typeof f.value === 'string' ? renderText(f.value, (n) => vars.value(n)) : f.value;
        const previous = await store.get(f.name);
        await record(ctx, EventName.FlagSet, {
          stage: opts.stage,
          step: opts.step,
          key: `step:${opts.step}`,
          record: { name: f.name, previous },
          value,
          store: store.describe,
        });
        // Vetted unless a var that may not start with '-' puts one at the value's start.
        const vetted =
          typeof f.value !== 'string' ||
          argvOption(
            f.value,
            (n) => vars.value(n),
            (n) => vars.allowsDash(n),
          ) === null;
        await store.set(f.name, value, { vetted });
        return { ok: true, message: `flag ${f.name}: ${showState(previous)} -> ${JSON.stringify(value)}`, tail: '' };
      } catch (e) {
        return { ok: false, message: vars.mask((e as Error).message), tail: '' };
      }
    });
  },
};
