/**
 * The entry point: the one place errors become exit codes and the process
 * exits. `status` is answered without loading commander: it is what people
 * and scripts poll, and it must cost little more than starting node.
 */
import { asEnvironmentError, ExitCode, InvalidRunbookError, MigrateError } from '../errors.js';
import type { GlobalOptions } from './context.js';

/** `status` with only simple options; anything else goes through commander. */
function fastStatusOptions(args: string[]): GlobalOptions | null {
  if (args[0] !== 'status') return null;
  const opts: GlobalOptions = { set: [], color: !process.env.NO_COLOR };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    const value = () => args[++i];
    if (a === '--json') opts.json = true;
    else if (a === '--no-color') opts.color = false;
    else if ((a === '-r' || a === '--runbook') && i + 1 < args.length) opts.runbook = value();
    else if (a === '--state-dir' && i + 1 < args.length) opts.stateDir = value();
    else if (a === '--journal' && i + 1 < args.length) opts.journal = value();
    else return null;
  }
  return opts;
}

/**
 * A reader that went away (`migrate status | head -1`) is not an error: the
 * rest of the output is dropped and the command ends with its own exit code.
 */
function tolerateClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      stream.write = ((_chunk: unknown, enc?: unknown, cb?: unknown) => {
        const done = typeof enc === 'function' ? enc : cb;
        if (typeof done === 'function') queueMicrotask(() => done());
        return true;
      }) as typeof stream.write;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  tolerateClosedPipes();
  let code: number = ExitCode.Ok;
  (await import('./redact-output.js')).maskProcessOutput();
  try {
    const fast = fastStatusOptions(argv.slice(2));
    if (fast) await (await import('./commands/status.js')).default([], fast);
    else await (await import('./program.js')).buildProgram().parseAsync(argv);
  } catch (e) {
    code = await report(e, argv.includes('-v') || argv.includes('--verbose'));
  }
  process.exitCode = code;
  // Let buffered output reach a pipe before exiting, but never wait on stray handles.
  await new Promise<void>((r) => process.stdout.write('', () => process.stderr.write('', () => r())));
  process.exit(code);
}

async function report(caught: unknown, verbose: boolean): Promise<number> {
  // An fs failure nobody wrapped is still the machine's fault, not a bug: exit 6, one line.
  const e = asEnvironmentError(caught);
  const commanderCode = (e as { code?: unknown })?.code;
  if (typeof commanderCode === 'string' && commanderCode.startsWith('commander.')) {
    // commander has printed its message (or the help) already
    return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(commanderCode)
      ? ExitCode.Ok
      : ExitCode.Usage;
  }
  const { printError, printDiagnostics } = await import('./output.js');
  if (e instanceof InvalidRunbookError) {
    if (!e.printed) printDiagnostics(e.diagnostics, 'text');
    printError(e);
    return e.exitCode;
  }
  if (e instanceof MigrateError) {
    printError(e);
    return e.exitCode;
  }
  printError(e instanceof Error ? e : new Error(String(e)), verbose);
  return ExitCode.Failed;
}
