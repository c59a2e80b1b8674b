/**
 * Flag stores (SPEC 2.6) behind one interface. A flag step reads the previous
 * value (or its absence) first, journals it, then writes; its undo restores
 * exactly that, removing a flag that did not exist.
 */
import type { Scalar } from '../runbook/types.js';

export type FlagValue = Scalar | null;

/** A flag's state: absent, or present with a value. */
export type FlagState = { exists: false } | { exists: true; value: FlagValue };

export interface FlagStore {
  /** Where the flags live, for messages. */
  readonly describe: string;
  get(name: string): Promise<FlagState>;
  /**
   * `vetted: false` says the value came from a var that may not start with `-`
   * where a command reads options (a command store refuses such a value).
   */
  set(name: string, value: FlagValue, opts?: { vetted?: boolean }): Promise<void>;
  remove(name: string): Promise<void>;
  list(): Promise<Record<string, FlagValue>>;
  close(): Promise<void>;
}

/** Put a flag back exactly as it was. */
export async function restore(store: FlagStore, name: string, previous: FlagState): Promise<void> {
  if (previous.exists) await store.set(name, previous.value);
  else await store.remove(name);
}

export function showState(s: FlagState): string {
  return s.exists ? JSON.stringify(s.value) : '(absent)';
}
