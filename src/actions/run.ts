/** `run:` actions: a shell script (values as environment variables) or an argv list. */
import { resolve } from 'node:path';
import { InterruptedError, UnsafeValueError } from '../errors.js';
import { argvOption, dashError, displayShell, shellCommand } from '../runbook/shell.js';
import { renderText } from '../runbook/template.js';
import type { Scalar } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import type { ActionModule } from './types.js';

export interface RunAction {
  kind: 'run';
  run: string | string[];
  env?: Record<string, Scalar>;
  cwd?: string;
}

/** argv: each word one argument; a word that a value starts with `-` is refused unless the var allows it. */
function renderArgv(words: string[], vars: Vars): string[] {
  return words.map((w) => {
    const culprit = argvOption(
      w,
      (n) => vars.value(n),
      (n) => vars.allowsDash(n),
    );
    if (culprit) throw dashError(culprit.name);
    return renderText(w, (n) => vars.value(n));
  });
}

export const run: ActionModule<RunAction> = {
  kind: 'run',
  describe: (a, show) =>
    Array.isArray(a.run) ? a.run.map((w) => renderText(w, show)).join(' ') : displayShell(a.run, show),
  async run(a, ctx, opts) {
    const { vars } = opts;
    const value = (n: string) => vars.value(n);
    // The run's own coordinates come last: a step's env: cannot make them lie.
    let env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(a.env ?? {}).map(([k, v]) => [k, renderText(String(v), value)])),
      ...ctx.stepEnv,
      ...(opts.stage !== undefined ? { MIGRATE_STAGE: String(opts.stage) } : {}),
    };
    const cwd = a.cwd ? resolve(ctx.cwd, renderText(a.cwd, value)) : ctx.cwd;
    let cmd: { argv: string[] } | { shell: string; script: string };
    try {
      if (Array.isArray(a.run)) cmd = { argv: renderArgv(a.run, vars) };
      else ({ cmd, env } = shellCommand(ctx.shell, a.run, vars, env));
    } catch (e) {
      if (e instanceof UnsafeValueError) return { ok: false, message: vars.mask(e.message), tail: '' };
      throw e;
    }
    const r = await ctx.runner.run(cmd, {
      cwd,
      env,
      timeoutMs: opts.timeoutMs,
      signal: ctx.signal,
      mask: (s) => vars.mask(s),
      onLine: (l) => ctx.reporter.output(opts.id, l),
    });
    if (r.aborted) throw new InterruptedError('interrupted');
    if (r.timedOut)
      return {
        ok: false,
        message: `timed out after ${opts.timeoutMs}ms; its process group was killed`,
        tail: r.tail,
        timedOut: true,
      };
    return { ok: r.exitCode === 0, message: r.exitCode === 0 ? 'ok' : `exited with code ${r.exitCode}`, tail: r.tail };
  },
};
