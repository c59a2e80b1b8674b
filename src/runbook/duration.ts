/** Durations (SPEC 2.5): 500ms, 30s, 5m, 1h30m, 2d. Units appear largest first, each at most once. */

/** Milliseconds per unit, largest first. */
const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const ORDER = Object.keys(UNITS);

/** Shared with the JSON schema so editors and the CLI agree on what a duration is. */
export const DURATION_PATTERN = '^(\\d+d)?(\\d+h)?(\\d+m(?!s))?(\\d+s)?(\\d+ms)?$';
/** What the schema accepts: a duration, or text with `${var}` that must render to one (checked after interpolation). */
export const DURATION_OR_VAR_PATTERN = '^(\\d+d)?(\\d+h)?(\\d+m(?!s))?(\\d+s)?(\\d+ms)?$|\\$\\{[^}]+\\}';
const PART = /(\d+)(ms|d|h|m|s)/g;

/** The longest a timer waits (2^31 - 1 ms, ~24.8 days): a longer one fires at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
export const TOO_LONG = 'is longer than 24 days, the longest a timer can wait';
export const NOT_A_DURATION = 'not a duration (use 500ms, 30s, 5m, 1h30m, 2d)';
/** Duration fields that are offsets into the past (a Prometheus query's), not waits: no limit. */
export const isOffset = (path: readonly (string | number)[]) => path.at(-1) === 'at' || path.at(-1) === 'query_offset';
/** How far back an offset may reach: Prometheus (2012) holds nothing older, and the query time must stay after 1970. */
const MAX_OFFSET_MS = 10 * 365 * 86_400_000;
/**
 * Why a duration text is no use here, or null: not a duration, a wait longer
 * than a timer can take, an offset further back than any data, or a zero
 * `timeout`, which gives up before it starts (lock_timeout and
 * statement_timeout 0 are PostgreSQL's "no limit", so only `timeout`).
 */
export function durationProblem(text: string, path: readonly (string | number)[]): string | null {
  const ms = parseDuration(text);
  if (ms === undefined) return NOT_A_DURATION;
  if (isOffset(path))
    return ms > MAX_OFFSET_MS ? 'reaches back more than 10 years, further than any Prometheus holds data' : null;
  if (ms === 0 && path.at(-1) === 'timeout')
    return 'is zero: it would give up before it starts (leave timeout out for the default)';
  return ms > MAX_DURATION_MS ? TOO_LONG : null;
}

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text === '' || !new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  let last = -1;
  for (const [, n = '', unit = ''] of text.matchAll(PART)) {
    const rank = ORDER.indexOf(unit);
    const size = UNITS[unit];
    if (rank <= last || size === undefined) return undefined;
    last = rank;
    total += Number(n) * size;
  }
  return total;
}

export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(UNITS)) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
