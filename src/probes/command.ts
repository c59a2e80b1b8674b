/** `command:` probes: the exit code, and the trimmed stdout as `value`. */
import { renderShell } from '../runbook/template.js';
import { isNoData, ProbeError, type ProbeModule } from './types.js';

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
  return tail.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');
}

export interface CommandProbe { kind: 'command'; command: string }

export const command: ProbeModule<CommandProbe> = {
  kind: 'command',
  reads: { names: ['value', 'exit_code'], always: ['exit_code'] },
  describe: (p, show) => renderShell(p.command, show),
  async sample(p, ctx) {
    const script = renderShell(p.command, (n) => ctx.vars.value(n));
    const r = await ctx.runner.run({ shell: ctx.shell, script }, { cwd: ctx.cwd, timeoutMs: ctx.timeoutMs, signal: ctx.signal, mask: (s) => ctx.vars.mask(s) });
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
