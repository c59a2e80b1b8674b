/**
 * `${var}` in PromQL (prometheus `query` and `compare`): every value becomes a
 * PromQL string literal (src/probes/prometheus.ts), so it is only right where
 * PromQL takes a string: a label matcher's value (`{job=${job}}`) and the
 * string arguments of label_replace, label_join, count_values and
 * sort_by_label. Anywhere else the query fails only when it runs: inside
 * quotes (`job="${job}"` is `job=""api""`), in a range (`[${w}]` is `["5m"]`),
 * after offset or @, or where a number goes (`> ${limit}` is `> "5"`).
 */
import { error, type Finding, type Path } from '../diagnostics.js';
import { referencedNames } from '../template.js';
import type { Runbook } from '../types.js';
import { checks } from '../walk.js';

/** Functions whose direct arguments may be strings. */
const STRING_ARGS = new Set(['label_replace', 'label_join', 'count_values', 'sort_by_label', 'sort_by_label_desc']);

type Where = 'quoted' | 'range' | 'labels' | 'string-arg' | 'other';

/** Where each `${name}` (by offset) lands in the PromQL text. */
export function promqlVarContexts(text: string): { name: string; at: number; where: Where }[] {
  const refs = new Map(referencedNames(text).map((r) => [r.at, r]));
  const out: { name: string; at: number; where: Where }[] = [];
  // Open brackets: '(' with the function name before it, '[' and '{'.
  const open: { ch: string; fn: string }[] = [];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ref = refs.get(i);
    if (ref) {
      const top = open[open.length - 1];
      const where: Where = quote
        ? 'quoted'
        : open.some((o) => o.ch === '[')
          ? 'range'
          : top?.ch === '{'
            ? 'labels'
            : top?.ch === '(' && STRING_ARGS.has(top.fn)
              ? 'string-arg'
              : 'other';
      out.push({ name: ref.name, at: i, where });
      i = text.indexOf('}', i);
      continue;
    }
    const c = text[i]!;
    if (text.startsWith('$${', i)) {
      i += 2;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '(') open.push({ ch: c, fn: /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(0, i))?.[1] ?? '' });
    else if (c === '[' || c === '{') open.push({ ch: c, fn: '' });
    else if (c === ')' || c === ']' || c === '}') open.pop();
  }
  return out;
}

function message(name: string, where: Where): { code: string; text: string } | null {
  const ref = `'\${${name}}'`;
  const lit = 'every ${var} in PromQL becomes a quoted string literal (its value is never query text)';
  if (where === 'quoted') {
    return {
      code: 'promql-var-in-literal',
      text:
        `${ref} is inside a quoted PromQL string: ${lit}, so "\${${name}}" would be a string inside a string ` +
        `(job=""api""); write it without the quotes: {job=\${${name}}}, or {job=~\${${name}}} for a regex (the whole regex comes from the var)`,
    };
  }
  if (where === 'range') {
    return {
      code: 'promql-var-in-range',
      text:
        `${ref} is inside a range or subquery selector [...]: ${lit}, so [\${${name}}] would be ["5m"], which PromQL refuses; ` +
        `a range cannot come from a var: write the duration in the query ([5m])`,
    };
  }
  if (where === 'other') {
    return {
      code: 'promql-var-position',
      text:
        `${ref} is where PromQL takes a number, a duration or a name (a threshold, offset, @, topk's k, a by (...) label): ${lit}, ` +
        `so > \${${name}} would be > "5", which PromQL refuses; compare in the expectation instead (query the value, then expect: value > \${${name}}), ` +
        `and use vars in PromQL only as label values ({job=\${${name}}}) or string arguments (label_replace)`,
    };
  }
  return null;
}

/** Every prometheus `query` and `compare` text, with its path. */
function* promqlTexts(rb: Runbook): Generator<{ text: string; at: Path }> {
  for (const { value: c, path } of checks(rb)) {
    const p = c.prometheus;
    if (!p || typeof p !== 'object') continue;
    for (const key of ['query', 'compare'] as const) {
      const text = p[key];
      if (typeof text === 'string') yield { text, at: [...path, 'prometheus', key] };
    }
  }
}

/** Every `${var}` in a prometheus query or compare lands where PromQL takes a string. */
export function promqlVarsPlaced(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const { text, at } of promqlTexts(rb)) {
    for (const r of promqlVarContexts(text)) {
      const m = message(r.name, r.where);
      if (m) out.push(error(at, m.code, m.text, { offset: r.at }));
    }
  }
  return out;
}

const CLOSES: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * Why this PromQL can never parse, or null: empty, an unclosed string, or
 * brackets that do not pair. Only the shape: the rest is Prometheus's to judge.
 */
export function promqlShapeProblem(text: string): { at: number; message: string } | null {
  if (!text.trim()) return { at: 0, message: 'the query is empty' };
  const refs = new Map(referencedNames(text).map((r) => [r.at, r]));
  const open: { ch: string; at: number }[] = [];
  for (let i = 0; i < text.length; i++) {
    if (refs.has(i)) {
      i = text.indexOf('}', i);
      continue;
    }
    if (text.startsWith('$${', i)) {
      i += 2;
      continue;
    }
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= text.length) return { at: i, message: `unclosed string: the ${c} here has no closing ${c}` };
      i = j;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '(' || c === '[' || c === '{') open.push({ ch: c, at: i });
    else if (CLOSES[c]) {
      const top = open.pop();
      if (top?.ch !== CLOSES[c])
        return {
          at: i,
          message: top ? `'${c}' here, but the '${top.ch}' before it is still open` : `'${c}' here closes nothing`,
        };
    }
  }
  const left = open.pop();
  return left ? { at: left.at, message: `unclosed '${left.ch}'` } : null;
}

/** `query` and `compare` have the shape of PromQL: a query that cannot parse fails every sample. */
export function promqlWellFormed(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const { text, at } of promqlTexts(rb)) {
    const problem = promqlShapeProblem(text);
    if (problem) out.push(error(at, 'promql-syntax', `not PromQL: ${problem.message}`, { offset: problem.at }));
  }
  return out;
}
