/**
 * The probe registry. A new probe kind is one module, one line in `Probe`,
 * `probes` and `probeOf` here, and its field in the schema; nothing else
 * chooses by kind.
 */
import type { Check } from '../runbook/types.js';
import { command, type CommandProbe } from './command.js';
import { http, type HttpProbe } from './http.js';
import { sql, type SqlProbe } from './sql.js';
import { prometheus, type PrometheusProbe } from './prometheus.js';
import type { ProbeModule } from './types.js';

/** A check's probe after validation: exactly one kind, with its own fields. */
export type Probe = CommandProbe | HttpProbe | SqlProbe | PrometheusProbe;
export type ProbeKind = Probe['kind'];

export const probes: { [P in Probe as P['kind']]: ProbeModule<P> } = { command, http, sql, prometheus };

/** The check fields that name a probe kind (a check has exactly one). */
export const PROBE_KEYS = Object.keys(probes) as ProbeKind[];

/** The check's probe as a tagged value (validation guarantees exactly one). */
export function probeOf(c: Check): Probe {
  if (c.command !== undefined) return { kind: 'command', command: c.command };
  if (c.http !== undefined) return { kind: 'http', http: c.http };
  if (c.sql !== undefined) return { kind: 'sql', sql: c.sql, database: c.database };
  if (c.prometheus !== undefined)
    return { kind: 'prometheus', prometheus: c.prometheus, baselineOffset: queryOffset(c) };
  throw new Error(`check '${c.name}' has no probe`);
}

/** A `baseline: { query_offset }`: measured by the probe at each sample, not before the stage. */
export function queryOffset(c: Check): string | undefined {
  return typeof c.baseline === 'object' && 'query_offset' in c.baseline ? c.baseline.query_offset : undefined;
}

/** The module for a probe, typed to take that probe (TypeScript cannot correlate the two on its own). */
export function moduleOf<P extends Probe>(p: P): ProbeModule<P> {
  return probes[p.kind] as unknown as ProbeModule<P>;
}

export function describeProbe(c: Check, show: (name: string) => string): string {
  const p = probeOf(c);
  return moduleOf(p).describe(p, show);
}

export type { ProbeContext, ProbeModule, Reading } from './types.js';
