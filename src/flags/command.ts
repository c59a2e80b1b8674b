/**
 * An existing flag service's CLI: `get` prints a flag's value (nothing, or a
 * non-zero exit, when it is absent), `set` writes ${flag} = ${value}, and the
 * optional `unset` removes ${flag}. Values reach the command as environment
 * variables, like any var in shell text.
 */
import { MigrateError } from '../errors.js';
import type { ProcessRunner } from '../engine/runner.js';
import { parseOutput } from '../engine/checks.js';
import { shellCommand } from '../runbook/shell.js';
import type { Vars } from '../runbook/vars.js';
import type { FlagState, FlagStore, FlagValue } from './store.js';

export interface CommandTemplates {
  get: string;
  set: string;
  unset?: string;
  list?: string;
}

export class CommandFlagStore implements FlagStore {
  constructor(
    private readonly t: CommandTemplates,
    private readonly deps: { runner: ProcessRunner; vars: Vars; cwd: string; shell: string },
  ) {}

  get describe(): string {
    return `command ${this.deps.vars.mask(this.t.get)}`;
  }

  private async exec(
    template: string,
    flag: string,
    value?: FlagValue,
    vetted = true,
  ): Promise<{ code: number | null; stdout: string; tail: string }> {
    const { vars } = this.deps;
    // ${value} from an operator's var gets that var's option-injection check (`sort ${value}` with --output=...).
    const scoped = vars.with(
      { flag, value: value === undefined || value === null ? '' : String(value) },
      vetted ? [] : ['value'],
    );
    const { cmd, env } = shellCommand(this.deps.shell, template, scoped);
    const r = await this.deps.runner.run(cmd, {
      cwd: this.deps.cwd,
      env,
      timeoutMs: 60_000,
      mask: (s) => vars.mask(s),
    });
    return { code: r.exitCode, stdout: r.stdout, tail: r.tail };
  }

  async get(name: string): Promise<FlagState> {
    const r = await this.exec(this.t.get, name);
    if (r.code !== 0 || r.stdout.trim() === '') return { exists: false };
    return { exists: true, value: parseOutput(r.stdout) as FlagValue };
  }

  async set(name: string, value: FlagValue, opts: { vetted?: boolean } = {}): Promise<void> {
    const r = await this.exec(this.t.set, name, value, opts.vetted ?? true);
    if (r.code !== 0)
      throw new MigrateError(
        `flag command failed to set ${name}: exited ${r.code ?? 'by timeout'}${r.tail ? `: ${r.tail.split('\n').pop()}` : ''}`,
      );
  }

  async remove(name: string): Promise<void> {
    if (!this.t.unset)
      throw new MigrateError(
        `cannot remove flag ${name}: the command flag store has no 'unset' command`,
        "add 'unset' to the runbook's flags settings",
      );
    const r = await this.exec(this.t.unset, name);
    if (r.code !== 0) throw new MigrateError(`flag command failed to unset ${name}: exited ${r.code ?? 'by timeout'}`);
  }

  async list(): Promise<Record<string, FlagValue>> {
    if (!this.t.list)
      throw new MigrateError(
        "the command flag store has no 'list' command",
        "add 'list' (printing a JSON object) to the runbook's flags settings",
      );
    const r = await this.exec(this.t.list, '');
    const value = parseOutput(r.stdout);
    if (r.code !== 0 || !value || typeof value !== 'object')
      throw new MigrateError('the flag list command did not print a JSON object');
    return value as Record<string, FlagValue>;
  }

  async close(): Promise<void> {}
}
