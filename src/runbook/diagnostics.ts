/** A located finding about a runbook: what `validate` prints in every format. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export type Path = (string | number)[];

/**
 * What a rule reports before it is located: the path of the value in the
 * runbook, and optionally an offset into that string (for expressions and SQL).
 */
export interface Finding {
  path: Path;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
  /** Character offset inside the string value. */
  offset?: number;
}

export const error = (path: Path, code: string, message: string, extra: Partial<Finding> = {}): Finding =>
  ({ path, severity: 'error', code, message, ...extra });

export const warning = (path: Path, code: string, message: string, extra: Partial<Finding> = {}): Finding =>
  ({ path, severity: 'warning', code, message, ...extra });

export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Edit distance counting a swap of neighbours as one edit ("hihg" is one from "high"), for "did you mean". */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) { best = c; bestScore = d; }
  }
  return best !== undefined && bestScore <= Math.max(1, Math.floor(best.length / 3)) ? `; did you mean '${best}'?` : '';
}
