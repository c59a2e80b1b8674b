/**
 * `migrate explain <code>`: a diagnostic's or lint rule's documentation in the
 * terminal, like `rustc --explain`. The text is the shipped docs/ itself
 * (docs/diagnostics.md, docs/lint.md), so terminal and web never disagree.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { distance } from '../../runbook/diagnostics.js';
import type { GlobalOptions } from '../context.js';
import { packageFile } from '../package-file.js';

interface Entry {
  code: string;
  file: string;
  text: string;
}

const DOCS = [
  { file: 'diagnostics.md', level: '###' },
  { file: 'lint.md', level: '##' },
];

/** Every `<level> code` section of the docs, with its body up to the next heading. */
export function explanations(): Entry[] {
  const out: Entry[] = [];
  for (const { file, level } of DOCS) {
    const text = readFileSync(packageFile(`docs/${file}`), 'utf8');
    const heading = new RegExp(`^${level} ([a-z0-9*-]+)$`, 'gm');
    const hits = [...text.matchAll(heading)];
    hits.forEach((m, i) => {
      const [whole, code = ''] = m;
      const from = m.index! + whole.length;
      const rest = text.slice(from, hits[i + 1]?.index ?? text.length);
      // A section ends at the next heading of any level (a group title in diagnostics.md).
      const end = rest.search(/^#{1,3} /m);
      out.push({ code, file, text: (end < 0 ? rest : rest.slice(0, end)).trim() });
    });
  }
  return out;
}

/** The entry for a code: exact, a lint code without its `sql-` prefix (as `allow:` writes it), or any yaml-* code. */
export function findExplanation(entries: Entry[], code: string): Entry | undefined {
  const c = code.trim().toLowerCase();
  return (
    entries.find((e) => e.code === c) ??
    entries.find((e) => e.code === `sql-${c}`) ??
    (c.startsWith('yaml-') ? entries.find((e) => e.code === 'yaml-*') : undefined)
  );
}

export default async function explain(args: string[], opts: GlobalOptions) {
  const entries = explanations();
  const code = args[0];
  if (!code) {
    const list = (file: string) =>
      entries
        .filter((e) => e.file === file)
        .map((e) => `  ${e.code}`)
        .join('\n');
    process.stdout.write(
      `Diagnostics (validate):\n${list('diagnostics.md')}\n\nSQL lint:\n${list('lint.md')}\n\nmigrate explain <code> prints one.\n`,
    );
    return;
  }
  const hit = findExplanation(entries, code);
  if (!hit) {
    const close = entries
      .map((e) => ({ code: e.code, d: Math.min(distance(code, e.code), distance(`sql-${code}`, e.code)) }))
      .sort((a, b) => a.d - b.d)
      .filter((x, i) => i < 5 && x.d <= Math.max(3, Math.floor(code.length / 2)))
      .map((x) => x.code);
    throw new UsageError(
      `no diagnostic or lint code '${code}'`,
      close.length ? `close matches: ${close.join(', ')}` : 'run `migrate explain` for the list of codes',
    );
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ code: hit.code, doc: `docs/${hit.file}`, text: hit.text })}\n`);
    return;
  }
  const { default: chalk } = await import('chalk');
  const paint = opts.color === false ? (s: string) => s : chalk.bold;
  process.stdout.write(`${paint(hit.code)}\n\n${hit.text}\n\n(docs/${hit.file})\n`);
}
