/**
 * Durations from vars (SPEC 0, drills): every duration, hold and interval may
 * be `${var}`, so `environments:` can shrink a 24 h runbook to seconds. The
 * text is checked as a duration after interpolation: for the defaults and each
 * environment by `validate`, and for the real values (`--env`, `--set`, the
 * process environment) when a command loads the runbook.
 */
import { error, formatPath, quote, type Finding, type Path } from './diagnostics.js';
import { durationProblem, NOT_A_DURATION } from './duration.js';
import { referencedNames, renderText } from './template.js';
import type { Runbook } from './types.js';
import type { Vars } from './vars.js';
import { actions, checks } from './walk.js';
import { PROBE_KEYS, probes } from '../probes/index.js';

/** A duration field that refers to vars, and how to write its resolved text back. */
interface Slot {
  path: Path;
  text: string;
  /** Canary holds may also resolve to `manual`. */
  hold: boolean;
  set(v: string): void;
}

function slots(rb: Runbook): Slot[] {
  const out: Slot[] = [];
  const add = (owner: object | undefined, key: string, path: Path, hold = false) => {
    const o = owner as Record<string, unknown> | undefined;
    const text = o?.[key];
    if (typeof text !== 'string' || !referencedNames(text).length) return;
    out.push({
      path: [...path, key],
      text,
      hold,
      set: (v) => {
        o![key] = v;
      },
    });
  };
  add(rb.defaults, 'timeout', ['defaults']);
  for (const { value: a, path } of actions(rb)) {
    for (const k of ['timeout', 'lock_timeout', 'statement_timeout', 'retry_delay', 'pause']) add(a, k, path);
    add(a.http, 'timeout', [...path, 'http']);
  }
  for (const { value: c, path } of checks(rb)) {
    add(c, 'timeout', path);
    // Each probe kind declares its own duration fields (http.timeout, prometheus.at, ...).
    for (const kind of PROBE_KEYS) {
      const spec = c[kind];
      if (spec && typeof spec === 'object') for (const k of probes[kind].durations ?? []) add(spec, k, [...path, kind]);
    }
    if (typeof c.baseline === 'object')
      for (const k of ['every', 'query_offset']) add(c.baseline, k, [...path, 'baseline']);
  }
  for (const [s, stage] of rb.stages.entries()) {
    add(stage, 'timeout', ['stages', s]);
    add(stage.monitor, 'duration', ['stages', s, 'monitor']);
    add(stage.monitor, 'interval', ['stages', s, 'monitor']);
    const c = stage.canary;
    add(c, 'interval', ['stages', s, 'canary']);
    add(c, 'hold', ['stages', s, 'canary'], true);
    c?.weights.forEach((w, i) => {
      if (typeof w === 'object') add(w, 'hold', ['stages', s, 'canary', 'weights', i], true);
    });
  }
  return out;
}

/** Whether a runbook has any duration that refers to vars (most do not: no copy needed). */
export function hasDurationVars(rb: Runbook): boolean {
  return slots(rb).length > 0;
}

const problem = (slot: Slot, v: string) => (slot.hold && v === 'manual' ? null : durationProblem(v, slot.path));

/**
 * A copy of the runbook with every duration rendered by `lookup`. A name with
 * no value leaves the field as written (and a finding when `unsetIsError`).
 */
export function renderDurations(
  rb: Runbook,
  lookup: (name: string) => string | undefined,
  show: (name: string) => string = (n) => lookup(n) ?? '',
  unsetIsError = false,
): { runbook: Runbook; findings: Finding[]; changed: Path[] } {
  if (!hasDurationVars(rb)) return { runbook: rb, findings: [], changed: [] };
  const copy = structuredClone(rb);
  const findings: Finding[] = [];
  const changed: Path[] = [];
  for (const slot of slots(copy)) {
    const unset = referencedNames(slot.text)
      .map((r) => r.name)
      .filter((n) => lookup(n) === undefined);
    if (unset.length) {
      if (unsetIsError)
        findings.push(
          error(slot.path, 'duration', `'${quote(slot.text)}' needs var '${quote(unset[0]!)}', which has no value`),
        );
      continue;
    }
    const value = renderText(slot.text, (n) => lookup(n)!);
    const why = problem(slot, value);
    if (why) {
      const msg = why === NOT_A_DURATION ? why : `which ${why}`;
      findings.push(
        error(slot.path, 'duration', `'${quote(slot.text)}' is '${quote(renderText(slot.text, show))}', ${msg}`),
      );
      continue;
    }
    slot.set(value);
    changed.push(slot.path);
  }
  return { runbook: copy, findings, changed };
}

/** The runbook as a command runs it: durations from the resolved vars; bad or missing values are findings. */
export function resolveDurations(rb: Runbook, vars: Vars): { runbook: Runbook; findings: Finding[] } {
  const { runbook, findings } = renderDurations(
    rb,
    (n) => (vars.has(n) ? vars.value(n) : undefined),
    (n) => vars.display(n),
    true,
  );
  return { runbook, findings };
}

/** The value contexts `validate` can know: the defaults, then each environment over them. */
export function* durationContexts(
  rb: Runbook,
): Generator<{ env: string | null; runbook: Runbook; findings: Finding[] }> {
  const defaults = new Map(
    Object.entries(rb.vars ?? {}).flatMap(([k, v]) =>
      v.default === undefined ? [] : [[k, String(v.default)] as const],
    ),
  );
  const secret = (n: string) => rb.vars?.[n]?.secret === true;
  const show = (values: Map<string, string>) => (n: string) => (secret(n) ? '***' : (values.get(n) ?? ''));
  yield { env: null, ...renderDurations(rb, (n) => defaults.get(n), show(defaults)) };
  for (const [env, spec] of Object.entries(rb.environments ?? {})) {
    const overrides = Object.entries(spec.vars ?? {}).map(([k, v]) => [k, String(v)] as const);
    if (!overrides.length) continue;
    const values = new Map([...defaults, ...overrides]);
    const { runbook, findings } = renderDurations(rb, (n) => values.get(n), show(values));
    // Point at the environment's own value: that is what to fix.
    yield {
      env,
      runbook,
      findings: findings.map((f) => {
        const name = overrides.find(([k]) =>
          referencedNames(String(pathValue(rb, f.path))).some((r) => r.name === k),
        )?.[0];
        return name === undefined
          ? f
          : {
              ...f,
              path: ['environments', env, 'vars', name],
              message: `environment '${quote(env)}' makes ${formatPath(f.path)} '${quote(renderText(String(pathValue(rb, f.path)), show(values)))}', ${NOT_A_DURATION}`,
            };
      }),
    };
  }
}

function pathValue(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}

/** Dedupe findings reported by several contexts (the same field, the same words). */
function uniqueFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code} ${formatPath(f.path)} ${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every templated duration renders to a duration, for the defaults and in each environment. */
export function durationsValid(rb: Runbook): Finding[] {
  // A duration var needs a default: a missing value must not stop a rollback that only needs the undos.
  const undefaulted = slots(rb).flatMap((slot) =>
    referencedNames(slot.text)
      .filter((r) => rb.vars?.[r.name]?.default === undefined)
      .slice(0, 1)
      .map((r) =>
        error(
          slot.path,
          'duration',
          `'${quote(slot.text)}' uses var '${quote(r.name)}', which has no default; a var used as a duration needs one (environments and --set can override it)`,
          { offset: r.at },
        ),
      ),
  );
  return uniqueFindings([...undefaulted, ...[...durationContexts(rb)].flatMap((c) => c.findings)]);
}

/** A rule over durations, run for the defaults and each environment; findings only an environment has say so. */
export function acrossContexts(rb: Runbook, check: (resolved: Runbook) => Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const { env, runbook } of durationContexts(rb)) {
    if (env !== null && runbook === rb) continue;
    for (const f of check(runbook)) {
      const key = `${f.code} ${formatPath(f.path)} ${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(env === null ? f : { ...f, message: `${f.message} in environment '${env}'` });
    }
  }
  return out;
}
