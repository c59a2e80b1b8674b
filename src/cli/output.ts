/** Printing for people: colour, diagnostics with their source line, errors with hints. */
import type { ChalkInstance } from 'chalk';
import { normalizeSource, readRunbookText } from '../runbook/read.js';
import { printable, printableMessage, type Diagnostic } from '../runbook/diagnostics.js';
import { MigrateError } from '../errors.js';

const argv = process.argv.slice(2);
const env = process.env;
/** Anything that could make chalk colour a stream that is not a terminal: then chalk decides. */
const forced =
  'FORCE_COLOR' in env || ('TF_BUILD' in env && 'AGENT_NAME' in env) || argv.some((a) => /^--colou?rs?(=|$)/.test(a));
const colourless = Boolean(env.NO_COLOR) || argv.includes('--no-color') || (!process.stdout.isTTY && !forced);

/** Every style is the identity, chained or not (`chalk.bgRed.white`). */
function plain(): ChalkInstance {
  const style: object = new Proxy((text: unknown) => String(text), { get: (_t, key) => (key === 'level' ? 0 : style) });
  return style as ChalkInstance;
}

/**
 * Where chalk would colour nothing (output to a pipe or a file, NO_COLOR,
 * --no-color), it is not loaded at all: it costs more than some whole
 * commands (`status`, `validate` polled by scripts). Like chalk, colour
 * follows whether stdout is a terminal.
 */
export const chalk: ChalkInstance = colourless ? plain() : (await import('chalk')).default;

export const out = (text = ''): void => void process.stdout.write(`${text}\n`);
export const err = (text = ''): void => void process.stderr.write(`${text}\n`);

export function printError(e: Error, verbose = false): void {
  if (e instanceof MigrateError) {
    err(`${chalk.red('error:')} ${printableMessage(e.message)}`);
    if (e.hint) err(chalk.dim(printableMessage(e.hint)));
    return;
  }
  err(`${chalk.red('internal error:')} ${printableMessage(e.message)}`);
  if (verbose && e.stack) err(chalk.dim(e.stack));
  else err(chalk.dim('run again with --verbose for details, and please report it'));
}

const sourceCache = new Map<string, string[]>();
function sourceLine(file: string, line: number): string | undefined {
  if (!sourceCache.has(file)) {
    try {
      // Lines as the diagnostics count them: no BOM, lone CRs are breaks, a CRLF's CR is not shown.
      sourceCache.set(file, normalizeSource(readRunbookText(file)).replace(/\r\n/g, '\n').split('\n'));
    } catch {
      sourceCache.set(file, []);
    }
  }
  return sourceCache.get(file)![line - 1];
}

export function formatDiagnostic(d: Diagnostic, withSource = true): string {
  const sev = d.severity === 'error' ? chalk.red('error') : chalk.yellow('warning');
  const head = `${chalk.bold(`${d.file}:${d.line}:${d.column}`)} ${sev} ${chalk.dim(d.code)}: ${printableMessage(d.message)}`;
  const src = withSource ? sourceLine(d.file, d.line) : undefined;
  if (src === undefined) return head;
  const gutter = `${String(d.line).padStart(4)} | `;
  // A long line (a 4 MB string) is shown as a window around the column.
  const from = src.length > 160 ? Math.max(0, d.column - 60) : 0;
  // The file's control characters are shown escaped (a hostile runbook must not rewrite the screen), the caret moved to match.
  const show = (t: string) => printable(t.replace(/\t/g, ' '));
  const lead = from ? '…' : '';
  const shown = lead + show(src.slice(from, from + 120)) + (src.length > from + 120 ? '…' : '');
  const caret = gutter.length + lead.length + show(src.slice(from, Math.max(from, d.column - 1))).length;
  return `${head}\n${chalk.dim(gutter)}${shown}\n${' '.repeat(caret)}${chalk.red('^')}`;
}

export function printDiagnostics(
  diags: Diagnostic[],
  format: 'text' | 'json' | 'github',
  write: (t: string) => void = err,
): void {
  // Every format escapes the file's control and bidi characters: JSON leaves C1 and U+202E as they are.
  const shown = diags.map((d) => ({ ...d, file: printable(d.file), message: printableMessage(d.message) }));
  if (format === 'json') return out(JSON.stringify(shown, null, 2));
  if (format === 'github') {
    const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
    for (const d of shown)
      out(
        `::${d.severity} file=${prop(d.file)},line=${d.line},col=${d.column},title=${prop(d.code)}::${esc(d.message)}`,
      );
    return;
  }
  for (const d of diags) write(formatDiagnostic(d));
}
