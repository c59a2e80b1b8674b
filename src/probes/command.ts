/** `command:` probes: the exit code, and the trimmed stdout as `value`. */
import { displayShell, shellCommand } from '../runbook/shell.js';
import { isNoData, type ProbeModule } from './types.js';
import { ProbeError } from '../errors.js';

/** Trimmed stdout: a number when it parses as one, else JSON, else the string. */
export function parseOutput(text: string): unknown {
  const t = text.trim();
  if (t === '') return '';
  if (!Number.isNaN(Number(t))) return Number(t);
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

/** The last few lines a failing probe wrote, so "exited 2" comes with its reason. */
export function lastLines(tail: string, n = 3): string {
  return tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

export interface CommandProbe {
  kind: 'command';
  command: string;
}

export const command: ProbeModule<CommandProbe> = {
  kind: 'command',
  reads: { names: ['value', 'exit_code'], always: ['exit_code'] },
  describe: (p, show) => displayShell(p.command, show),
  async sample(p, ctx) {
    // The values travel as environment variables (MIGRATE_VAR_x), never as script text.
    const { cmd, env } = shellCommand(ctx.shell, p.command, ctx.vars);
    const r = await ctx.runner.run(cmd, {
      cwd: ctx.cwd,
      env,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      mask: (s) => ctx.vars.mask(s),
    });
    if (r.timedOut) throw new ProbeError(`timed out after ${ctx.timeoutMs}ms`);
    if (r.aborted) throw new ProbeError('interrupted');
    const value = parseOutput(r.stdout);
    const why = lastLines(r.tail);
    const exited = `exited ${r.exitCode}${why ? `: ${why}` : ''}`;
    return {
      value,
      scope: { exit_code: r.exitCode },
      hasData: !isNoData(value),
      plain: { passed: r.exitCode === 0, message: r.exitCode === 0 ? 'ok' : exited, value: r.exitCode },
      failure: r.exitCode === 0 ? undefined : `probe ${exited}`,
    };
  },
};
