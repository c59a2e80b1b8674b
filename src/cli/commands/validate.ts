import { existsSync, statSync } from 'node:fs';
import { InvalidRunbookError, UsageError } from '../../errors.js';
import type { Diagnostic } from '../../runbook/diagnostics.js';
import { isRunbookFile, listRunbooks } from '../../runbook/discover.js';
import { validateFile } from '../../runbook/validate.js';
import type { GlobalOptions } from '../context.js';
import { chalk, out, printDiagnostics } from '../output.js';

function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      return [p]; // reported as unreadable, located at the path
    }
    return isDir ? listRunbooks(p) : [p];
  });
}

const isRegularFile = (f: string) => {
  try {
    return statSync(f).isFile();
  } catch {
    return true; // reported as unreadable by validateFile, located
  }
};

/** With no paths: what other commands would run (MIGRATE_RUNBOOK, ./migrate.yaml) and every runbook in ./runbooks. */
function defaultPaths(): string[] {
  const env = process.env.MIGRATE_RUNBOOK;
  if (env) return [env];
  const here = ['migrate.yaml', 'migrate.yml'].filter((f) => existsSync(f));
  return existsSync('runbooks') || here.length === 0 ? [...here, 'runbooks'] : here;
}

/** `--database`: the lint asks it about every step's functions; unreachable, it says so once and judges offline. */
async function databaseLookup(url: string | undefined) {
  if (url === undefined) return undefined;
  const { volatilityLookup } = await import('../../pg/volatility.js');
  return volatilityLookup(
    () => url,
    (e) =>
      process.stderr.write(
        `warning: --database is not reachable (${e.message.split(url).join('<--database>')}): volatile defaults judged without the database\n`,
      ),
  );
}

export default async function validate(
  [paths = []]: [string[]?],
  opts: GlobalOptions & { format: 'text' | 'json' | 'github'; strict?: boolean; database?: string },
) {
  const files = expand(paths.length ? paths : opts.runbook ? [opts.runbook] : defaultPaths());
  if (files.length === 0)
    throw new UsageError('no runbooks to validate', 'pass paths, or put *.yaml files in ./runbooks');
  const format = opts.json ? 'json' : opts.format;
  const all: Diagnostic[] = [];
  let failed = 0;
  const volatility = await databaseLookup(opts.database);
  for (const file of files) {
    // A regular file named otherwise is a slip (README.md); a pipe (`<(generate)`) has no name to judge.
    if (!isRunbookFile(file) && isRegularFile(file)) throw new UsageError(`not a YAML runbook: ${file}`);
    const r = await validateFile(file, { strict: opts.strict, volatility });
    const diags = r.ok ? r.value.warnings : [...r.errors, ...r.warnings];
    all.push(...diags);
    if (!r.ok) failed++;
    if (format === 'text') {
      printDiagnostics(diags, 'text', out);
      if (r.ok)
        out(
          `${chalk.green('✓')} ${file}: ${r.value.runbook.name}, ${r.value.runbook.stages.length} stage(s)${diags.length ? `, ${diags.length} warning(s)` : ''}`,
        );
      else
        out(
          `${chalk.red('✗')} ${file}: ${r.errors.length} error(s)${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}`,
        );
    }
  }
  if (format !== 'text') printDiagnostics(all, format, out);
  if (failed) {
    const errors = all.filter((d) => d.severity === 'error');
    throw new InvalidRunbookError(
      errors,
      `${failed} of ${files.length} runbook(s) invalid (${errors.length} error(s))`,
      true,
    );
  }
}
