/**
 * `prometheus:` probes: an instant query through the HTTP API
 * (`/api/v1/query`). `value` is the one number it returns; an empty result is
 * no data; several series are an error unless `aggregate` says how to reduce
 * them. `compare` is a second query (a ratio's other side), `labels` the
 * series' labels, and `baseline: { query_offset }` the same query evaluated
 * that long ago. `${var}` values enter PromQL only as string literals.
 */
import { request, sendableUrl } from '../engine/http.js';
import { parseDuration } from '../runbook/duration.js';
import { parseTemplate, renderUrl, type Lookup } from '../runbook/template.js';
import type { PrometheusSpec } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import { isNoData, type ProbeContext, type ProbeModule } from './types.js';
import { ProbeError } from '../errors.js';

export interface PrometheusProbe {
  kind: 'prometheus';
  prometheus: PrometheusSpec;
  baselineOffset?: string;
}

/** A PromQL string literal: the value can only ever be data, never query text. */
export function promString(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

export function renderPromQL(src: string, lookup: Lookup): string {
  return parseTemplate(src)
    .map((p) => ('text' in p ? p.text : promString(lookup(p.name))))
    .join('');
}

interface Series {
  metric: Record<string, string>;
  value: number;
}

/**
 * A Prometheus sample value (always a string in the API): "+Inf" and "-Inf"
 * are numbers (Number() reads them as NaN), "NaN" is no data.
 */
export function parseSampleValue(text: unknown): number {
  if (typeof text !== 'string')
    throw new ProbeError(`a sample's value is ${JSON.stringify(text)?.slice(0, 40)}, not a Prometheus sample ("1.5")`);
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = text.trim() === '' ? NaN : Number(text);
  if (Number.isNaN(n)) throw new ProbeError(`a sample's value '${text.slice(0, 40)}' is not a number`);
  return n;
}

/** A sample pair `[time, "value"]` as the API sends it. */
function sampleOf(pair: unknown): number {
  if (!Array.isArray(pair) || pair.length !== 2)
    throw new ProbeError(`a sample is ${JSON.stringify(pair)?.slice(0, 40) ?? 'missing'}, not [time, "value"]`);
  return parseSampleValue(pair[1]);
}
interface Result {
  value: number | null;
  labels: string;
  series: number;
}

const labelText = (m: Record<string, string>) =>
  `{${Object.entries(m)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;

/** The labels every series shares: what an aggregate over them still describes. */
function common(series: Series[]): Record<string, string> {
  const [first, ...rest] = series;
  return Object.fromEntries(Object.entries(first!.metric).filter(([k, v]) => rest.every((s) => s.metric[k] === v)));
}

function reduce(series: Series[], how: PrometheusSpec['aggregate'], query: string): Result {
  if (series.length === 0) return { value: null, labels: '{}', series: 0 };
  if (series.length === 1) return { value: series[0]!.value, labels: labelText(series[0]!.metric), series: 1 };
  if (!how) {
    const shown = series
      .slice(0, 3)
      .map((s) => labelText(s.metric))
      .join(', ');
    throw new ProbeError(
      `query returned ${series.length} series (${shown}${series.length > 3 ? ', ...' : ''}): aggregate them in PromQL ` +
        `(sum(...), max(...)) or give aggregate: max|min|sum|avg; query: ${query}`,
    );
  }
  const values = series.map((s) => s.value);
  if (how === 'max' || how === 'min') {
    const pick = series.reduce((a, b) => ((how === 'max' ? b.value > a.value : b.value < a.value) ? b : a));
    return { value: pick.value, labels: labelText(pick.metric), series: series.length };
  }
  const sum = values.reduce((a, b) => a + b, 0);
  return { value: how === 'sum' ? sum : sum / values.length, labels: labelText(common(series)), series: series.length };
}

/** How long one query may take: `prometheus.timeout`, else the check's timeout; as text for the API's `timeout` parameter too. */
function queryTimeout(p: PrometheusSpec, ctx: ProbeContext): { ms: number; text: string } {
  const ms = p.timeout === undefined ? undefined : parseDuration(p.timeout);
  return ms === undefined ? { ms: ctx.timeoutMs, text: `${ctx.timeoutMs}ms` } : { ms, text: p.timeout! };
}

async function instantQuery(
  p: PrometheusSpec,
  query: string,
  atSeconds: number,
  vars: Vars,
  ctx: ProbeContext,
): Promise<Series[]> {
  const timeout = queryTimeout(p, ctx);
  // The API path goes after the base's path and before its query string (a tenant=...);
  // the whole URL then travels as the value of a var that starts the URL, so it is never read as a template again.
  // Checked as the runbook writes it, so a message never shows the URL built here (re-encoded, secrets included).
  const url = new URL(sendableUrl(p.url, vars));
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.hash = '';
  // The runbook's query wins over a query=, time= or timeout= in the base URL.
  url.searchParams.set('query', query);
  url.searchParams.set('time', atSeconds.toFixed(3));
  url.searchParams.set('timeout', timeout.text);
  let reply;
  try {
    reply = await request(
      { url: '${__promurl}', headers: p.headers },
      vars.with({ __promurl: url.href }),
      timeout.ms,
      ctx.signal,
      null,
    );
  } catch (e) {
    if ((e as Error).name === 'TimeoutError')
      throw new ProbeError(`timed out after ${timeout.text} (prometheus.timeout or the check's timeout)`);
    throw e;
  }
  const body = reply.body as {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType: string; result: unknown };
  };
  if (!body || typeof body !== 'object' || !body.status) {
    throw new ProbeError(
      `HTTP ${reply.status} from ${renderUrl(p.url, (n) => vars.display(n))}: not a Prometheus API reply`,
    );
  }
  if (body.status !== 'success')
    throw new ProbeError(`prometheus ${body.errorType ?? 'error'}: ${body.error ?? `HTTP ${reply.status}`}`);
  const data = body.data;
  if (!data || typeof data !== 'object' || typeof data.resultType !== 'string')
    throw new ProbeError(`HTTP ${reply.status}: not a Prometheus API reply (no data.resultType)`);
  const { resultType, result } = data;
  if (resultType === 'scalar') return [{ metric: {}, value: sampleOf(result) }];
  if (resultType === 'vector') {
    if (!Array.isArray(result)) throw new ProbeError('not a Prometheus API reply: a vector whose result is not a list');
    return result.map((s: { metric?: unknown; value?: unknown } | null) => ({
      metric: s?.metric && typeof s.metric === 'object' ? (s.metric as Record<string, string>) : {},
      value: sampleOf(s?.value),
    }));
  }
  throw new ProbeError(`the query returned a ${resultType}, not an instant vector or scalar; query: ${query}`);
}

export const showValue = (v: number | null) =>
  v === null || Number.isNaN(v)
    ? 'no data'
    : v === Infinity
      ? '+Inf'
      : v === -Infinity
        ? '-Inf'
        : String(Number(v.toPrecision(6)));

export const prometheus: ProbeModule<PrometheusProbe> = {
  kind: 'prometheus',
  reads: { names: ['value', 'compare', 'labels'], always: [] },
  durations: ['timeout', 'at'],
  describe: ({ prometheus: p, baselineOffset }, show) => {
    const at = p.at ? ` at -${p.at}` : '';
    const compare = p.compare ? ` vs ${renderPromQL(p.compare, show)}` : '';
    const base = baselineOffset ? ` (baseline: ${baselineOffset} earlier)` : '';
    return `prometheus ${renderUrl(p.url, show)}: ${renderPromQL(p.query, show)}${compare}${at}${base}`;
  },
  async sample({ prometheus: p, baselineOffset }, ctx) {
    const lookup = (n: string) => ctx.vars.value(n);
    const now = Date.now() / 1000 - (p.at ? parseDuration(p.at)! / 1000 : 0);
    const run = async (src: string, at: number) =>
      reduce(
        await instantQuery(p, renderPromQL(src, lookup), at, ctx.vars, ctx),
        p.aggregate,
        renderPromQL(src, (n) => ctx.vars.display(n)),
      );
    const [main, compare, baseline] = await Promise.all([
      run(p.query, now),
      p.compare ? run(p.compare, now) : null,
      baselineOffset ? run(p.query, now - parseDuration(baselineOffset)! / 1000) : null,
    ]);
    const scope: Record<string, number | string | null> = { labels: main.labels };
    if (compare) scope.compare = compare.value;
    if (baseline) scope.baseline = baseline.value;
    const parts = [
      compare && `compare ${showValue(compare.value)}`,
      baseline && `baseline ${showValue(baseline.value)}`,
      main.series > 1 && `${p.aggregate} of ${main.series} series`,
    ];
    const detail = parts.filter(Boolean).join(', ');
    const hasData =
      !isNoData(main.value) && (!compare || !isNoData(compare.value)) && (!baseline || !isNoData(baseline.value));
    return {
      value: main.value,
      scope,
      hasData,
      detail: detail || undefined,
      plain: { passed: hasData, message: hasData ? showValue(main.value) : 'no data', value: main.value },
    };
  },
};
