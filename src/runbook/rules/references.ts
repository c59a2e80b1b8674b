import { didYouMean, error, quote, warning, type Finding, type Path } from '../diagnostics.js';
import { namesIn, parseExpr } from '../../expr/parse.js';
import { referencedNames } from '../template.js';
import type { Runbook } from '../types.js';
import { PROBE_KEYS, probes } from '../../probes/index.js';
import { checks, strings } from '../walk.js';
import { EVENT_NAMES, NOT_NOTIFIABLE } from '../../journal/events.js';
import { ExprSyntaxError } from '../../errors.js';

/** Names every template may use besides declared vars. */
export const BUILTIN_VARS = ['runbook', 'stage', 'operator', 'run_id'];

function declared(rb: Runbook): string[] {
  return Object.keys(rb.vars ?? {});
}

/** Every `${name}` names a declared var (or a builtin where it applies). */
export function varsDeclared(rb: Runbook): Finding[] {
  const vars = [...declared(rb), ...BUILTIN_VARS];
  const out: Finding[] = [];
  const scan = (value: unknown, path: Path, extra: string[] = []) => {
    for (const { text, path: p } of strings(value, path)) {
      for (const { name, at } of referencedNames(text)) {
        if (vars.includes(name) || extra.includes(name)) continue;
        out.push(
          error(
            p,
            'var-undeclared',
            `'\${${quote(name)}}' is not a declared var${didYouMean(name, [...vars, ...extra])}`,
            { offset: at },
          ),
        );
      }
    }
  };
  for (const [s, stage] of rb.stages.entries()) {
    const { canary, ...rest } = stage;
    scan(rest, ['stages', s]);
    if (canary) {
      const { set, ...canaryRest } = canary;
      scan(canaryRest, ['stages', s, 'canary']);
      scan(set, ['stages', s, 'canary', 'set'], ['weight']);
    }
  }
  scan(rb.guards, ['guards']);
  scan(rb.notify, ['notify']);
  scan(rb.defaults, ['defaults']);
  scan(rb.flags, ['flags'], ['flag', 'value']);
  return out;
}

export function environmentVarsDeclared(rb: Runbook): Finding[] {
  const vars = declared(rb);
  return Object.entries(rb.environments ?? {}).flatMap(([env, spec]) =>
    Object.keys(spec.vars ?? {})
      .filter((k) => !vars.includes(k))
      .map((k) =>
        error(
          ['environments', env, 'vars', k],
          'var-undeclared',
          `environment '${quote(env)}' sets '${quote(k)}', which is not a declared var${didYouMean(k, vars)}`,
          { atKey: true },
        ),
      ),
  );
}

export function secretsHaveNoDefault(rb: Runbook): Finding[] {
  return Object.entries(rb.vars ?? {})
    .filter(([, v]) => v.secret && v.default !== undefined)
    .map(([k]) =>
      warning(
        ['vars', k, 'default'],
        'secret-default',
        `secret var '${k}' has a default in the runbook; read it from the environment instead`,
      ),
    );
}

function checkExpression(text: string, path: Path, allowed: string[], why: Record<string, string> = {}): Finding[] {
  try {
    const ast = parseExpr(text);
    return namesIn(ast)
      .filter((n) => !allowed.includes(n.name))
      .map((n) =>
        error(
          path,
          'expr-unknown-name',
          Object.hasOwn(why, n.name)
            ? `'${n.name}' is not defined in this expression: ${why[n.name]}`
            : `'${quote(n.name)}' is not defined in this expression${didYouMean(n.name, allowed)} (known: ${allowed.join(', ')})`,
          { offset: n.at },
        ),
      );
  } catch (e) {
    if (e instanceof ExprSyntaxError)
      return [error(path, e.code, `invalid expression: ${e.message}`, { offset: e.offset })];
    throw e;
  }
}

/** `expect` and `when` parse (SPEC 2.3) and read only names that exist there. */
export function expressionsValid(rb: Runbook): Finding[] {
  const vars = [...declared(rb), ...BUILTIN_VARS];
  const out: Finding[] = [];
  for (const { value: c, path } of checks(rb)) {
    if (c.expect === undefined) continue;
    const kind = PROBE_KEYS.find((k) => c[k] !== undefined);
    let probeNames = kind ? probes[kind].reads.names : ['value'];
    const why: Record<string, string> = {
      baseline:
        'it is the value sampled before the stage; add baseline: true (or { samples }, { query_offset }) to this check',
    };
    // `compare` is the number of a second query: without one it could never hold a value.
    if (kind === 'prometheus' && c.prometheus?.compare === undefined) {
      probeNames = probeNames.filter((n) => n !== 'compare');
      why.compare = "it is the number of the check's second query: add prometheus.compare: '<PromQL>'";
    }
    out.push(
      ...checkExpression(
        c.expect,
        [...path, 'expect'],
        [...probeNames, ...(c.baseline ? ['baseline'] : []), ...vars],
        why,
      ),
    );
    if (c.http?.expect !== undefined)
      out.push(
        error(
          [...path, 'http', 'expect'],
          'expect-placement',
          `put a check's expectation in its own 'expect', not under http`,
          { atKey: true },
        ),
      );
  }
  for (const [s, stage] of rb.stages.entries()) {
    for (const [i, step] of (stage.steps ?? []).entries()) {
      const base: Path = ['stages', s, 'steps', i];
      if (step.when !== undefined) out.push(...checkExpression(step.when, [...base, 'when'], vars));
      if (step.http?.expect !== undefined)
        out.push(...checkExpression(step.http.expect, [...base, 'http', 'expect'], ['status', 'value', ...vars]));
    }
  }
  return out;
}

const NOTIFIABLE = EVENT_NAMES.filter((e) => !NOT_NOTIFIABLE.has(e));

export function notifyValid(rb: Runbook): Finding[] {
  return (rb.notify ?? []).flatMap((n, i) => {
    const out: Finding[] = [];
    if ((n.run === undefined) === (n.webhook === undefined))
      out.push(error(['notify', i], 'notify-target', 'a notification needs exactly one of run or webhook'));
    n.on.forEach((ev, k) => {
      if (!EVENT_NAMES.includes(ev)) {
        out.push(
          error(
            ['notify', i, 'on', k],
            'notify-event',
            `unknown event '${quote(ev)}'${didYouMean(ev, NOTIFIABLE)}; valid events: ${NOTIFIABLE.join(', ')}`,
          ),
        );
      } else if (NOT_NOTIFIABLE.has(ev))
        out.push(
          error(
            ['notify', i, 'on', k],
            'notify-event',
            `'${ev}' happens many times a run; notify on a breach (monitor.breach) or an outcome instead`,
          ),
        );
    });
    return out;
  });
}
