/**
 * The command-line surface. Each command lives in commands/<name>.ts and is
 * imported only when it runs, so `validate` never loads listr2, execa or pg.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { GlobalOptions } from './context.js';
import { packageFile } from './package-file.js';

const version = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version as string;
const collect = (v: string, prev: string[]) => [...prev, v];

// Each command declares its own argument shape (validate: one variadic list); commander checked the count.
type Handler = (args: unknown[], opts: GlobalOptions & Record<string, unknown>) => Promise<void>;

function lazy(name: string) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const args = cmd.processedArgs;
    const mod = (await import(`./commands/${name}.js`)) as { default: Handler };
    await mod.default(args, cmd.optsWithGlobals());
  };
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

export function buildProgram(): Command {
  const program = new Command('migrate')
    .exitOverride()
    .description(
      'Run staged production migration runbooks: validate, plan, execute with gates, monitor windows and automatic rollback.',
    )
    .version(version, '-V, --version')
    .option(
      '-r, --runbook <path>',
      'runbook file (default: $MIGRATE_RUNBOOK, ./migrate.yaml, or the only file in ./runbooks/)',
    )
    .option('--env <name>', 'environment whose var overrides apply')
    .option('--set <name=value>', 'set a var (repeatable); values are always data, never code', collect, [])
    .option(
      '--state-dir <dir>',
      'state directory for the file journal and lock (default: $MIGRATE_STATE_DIR, else .migrate beside the runbook)',
    )
    .option(
      '--journal <url>',
      "journal location; a postgres:// URL shares journal and lock (default: $MIGRATE_JOURNAL_URL, else the runbook's journal:)",
    )
    .option('--json', 'machine-readable output')
    .option('-y, --yes', 'answer yes at confirmation gates (not the typed-name gate of a critical stage)')
    .option(
      '--confirm-stage <name>',
      "answer a critical stage's typed-name gate with its name (repeatable)",
      collect,
      [],
    )
    .option('--no-color', 'no colour (also NO_COLOR=1)')
    .option('-v, --verbose', 'more detail, and stack traces for internal errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      examples(
        'migrate validate',
        'migrate plan 2',
        'migrate stage 2',
        'migrate rollback --emergency --reason "error spike"',
      ),
    );

  program
    .command('validate')
    .description('parse and check runbooks (default: $MIGRATE_RUNBOOK, or ./migrate.yaml and runbooks/*.yaml)')
    .argument('[paths...]', 'runbook files or directories')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--strict', 'treat warnings as errors')
    .option(
      '--database <url>',
      'ask this database how volatile the functions in column defaults are (pg_proc), instead of counting unknown ones as volatile',
    )
    .addHelpText(
      'after',
      examples(
        'migrate validate',
        'migrate validate runbooks/otp-cleanup.yaml --strict',
        'migrate validate --format github',
        'migrate validate --database "$DATABASE_URL"',
      ),
    )
    .action(lazy('validate'));

  program
    .command('plan')
    .description(
      'print the task graph stage N would run: levels, gates, windows, rollback plan, effective risk, and what would block it',
    )
    .argument('[stage]', 'stage number')
    .option('--rollback', 'preview a rollback instead: which stages, which undo steps, in order')
    .option('--to <K>', 'with --rollback: every stage above K')
    .addHelpText(
      'after',
      examples(
        'migrate plan 2',
        'migrate plan 2 --json',
        'migrate plan 3 --env staging --set percent=10',
        'migrate plan --rollback --to 1',
      ),
    )
    .action(lazy('plan'));

  program
    .command('graph')
    .description("print stage N's task graph as Mermaid or DOT")
    .argument('<stage>', 'stage number')
    .addOption(new Option('--format <format>', 'diagram language').choices(['mermaid', 'dot']).default('mermaid'))
    .addHelpText(
      'after',
      examples('migrate graph 2 > stage2.mmd', 'migrate graph 2 --format dot | dot -Tsvg > stage2.svg'),
    )
    .action(lazy('graph'));

  program
    .command('explain')
    .description("print a diagnostic's or SQL lint rule's documentation (no code: list them)")
    .argument('[code]', 'a code from validate or plan, e.g. needs-cycle or sql-drop-column')
    .addHelpText(
      'after',
      examples('migrate explain sql-set-not-null', 'migrate explain no-rollback', 'migrate explain'),
    )
    .action(lazy('explain'));

  program
    .command('init')
    .description('write a commented starter runbook')
    .argument('[path]', 'where to write it', 'migrate.yaml')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', examples('migrate init', 'migrate init runbooks/my-change.yaml'))
    .action(lazy('init'));

  program
    .command('stage')
    .description('run stage N: preflight, gate, steps, monitor window, verify; rolls back on failure')
    .argument('<N>', 'stage number')
    .option('--dry-run', 'show what would run and what would block it; execute and journal nothing')
    .option('--resume', 'finish an interrupted stage, skipping the steps the journal shows completed')
    .option('--no-auto-rollback', 'on failure, leave the stage as it is for the operator')
    .addHelpText(
      'after',
      examples('migrate stage 1', 'migrate stage 2 --yes', 'migrate stage 2 --dry-run', 'migrate stage 2 --resume'),
    )
    .action(lazy('stage'));

  program
    .command('up')
    .description('run the remaining stages in order')
    .option('--to <N>', 'stop after stage N')
    .option('--no-auto-rollback', 'on failure, leave the stage as it is')
    .addHelpText('after', examples('migrate up --to 2 --yes'))
    .action(lazy('up'));

  program
    .command('rollback')
    .description('roll back the current stage (or an interrupted one); --to K rolls back every stage above K')
    .option('--to <K>', 'roll back every stage above K, highest first')
    .option('--emergency', 'roll back everything to 0 now: no waits or checks, past failing steps')
    .option('--reason <text>', 'why (required with --emergency); journaled')
    .addHelpText(
      'after',
      examples(
        'migrate rollback',
        'migrate rollback --to 1',
        'migrate rollback --emergency --reason "error spike" --yes',
      ),
    )
    .action(lazy('rollback'));

  program
    .command('promote')
    .description(
      "end the running stage's canary hold now: the run journals who and why, and goes on to the next weight (exit 2: no hold to end)",
    )
    .option('--reason <text>', 'why (required); journaled with the operator')
    .addHelpText(
      'after',
      examples(
        'migrate promote --reason "error rate flat for 20m"',
        'migrate promote --reason "looks good" --yes --journal postgres://db/migrate',
      ),
    )
    .action(lazy('promote'));

  program
    .command('check')
    .description("run the guards and stage N's preflight now and print the values (exit 1 if any fails)")
    .argument('[N]', 'stage number')
    .addHelpText('after', examples('migrate check', 'migrate check 2 --json'))
    .action(lazy('check'));

  program
    .command('status')
    .description('current stage, state, lock holder, last run')
    .addHelpText('after', examples('migrate status', 'migrate status --json'))
    .action(lazy('status'));

  program
    .command('history')
    .description('past runs, newest first')
    .option('--limit <n>', 'how many', '20')
    .addHelpText('after', examples('migrate history', 'migrate history --limit 5 --json'))
    .action(lazy('history'));

  program
    .command('rehearse')
    .description(
      "practise stage N's SQL and its rollback on a scratch copy of the schema; fail when rollback leaves a difference",
    )
    .argument('<N>', 'stage number')
    .addHelpText(
      'after',
      examples('migrate rehearse 1', 'DATABASE_URL=postgres://staging/app migrate rehearse 4 --json'),
    )
    .action(lazy('rehearse'));

  program
    .command('flags')
    .description("the flag store's values")
    .addHelpText('after', examples('migrate flags', 'migrate flags --json'))
    .action(lazy('flags'));

  program
    .command('unlock')
    .description(
      "remove the lock of a run that is gone, after confirmation; journaled. Never a live run's: stop that with Ctrl-C or rollback --emergency",
    )
    .option(
      '--force',
      'also remove a lock whose holder cannot be checked from here (another host, unreadable lock file)',
    )
    .addHelpText('after', examples('migrate unlock', 'migrate unlock --yes', 'migrate unlock --force'))
    .action(lazy('unlock'));

  return program;
}
