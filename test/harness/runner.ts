/** A process runner that answers from a script: per command, an outcome (or a sequence of them), in virtual time. */
import type { Clock } from '../../src/engine/clock.js';
import type { ProcessResult, ProcessRunner } from '../../src/engine/types.js';

export interface Reply {
  exit?: number;
  stdout?: string;
  stderr?: string;
  /** Virtual time the process runs before it exits. */
  delayMs?: number;
}

type Script = Reply | Reply[] | ((call: number) => Reply);

export class FakeRunner implements ProcessRunner {
  private rules: { match: string | RegExp; script: Script; calls: number }[] = [];
  /** Every command run, in order (the shell script or the argv joined). */
  readonly calls: string[] = [];

  constructor(private readonly clock: Clock) {}

  /** Commands containing `match` (or matching it) answer with `script`; a sequence repeats its last reply. The latest rule wins. */
  on(match: string | RegExp, script: Script): this {
    this.rules.unshift({ match, script, calls: 0 });
    return this;
  }

  count(match: string | RegExp): number {
    return this.calls.filter((c) => (typeof match === 'string' ? c.includes(match) : match.test(c))).length;
  }

  async run(
    cmd: { shell?: string; argv?: string[]; script?: string },
    opts: Parameters<ProcessRunner['run']>[1],
  ): Promise<ProcessResult> {
    const text = cmd.script ?? (cmd.argv ?? []).join(' ');
    this.calls.push(text);
    const rule = this.rules.find((r) => (typeof r.match === 'string' ? text.includes(r.match) : r.match.test(text)));
    const n = rule ? rule.calls++ : 0;
    const s = rule?.script ?? {};
    const reply: Reply = typeof s === 'function' ? s(n) : Array.isArray(s) ? s[Math.min(n, s.length - 1)]! : s;
    const delay = reply.delayMs ?? 0;
    const limit = opts.timeoutMs ?? Infinity;
    await this.clock.sleep(Math.min(delay, limit), opts.signal);
    const stdout = reply.stdout ?? '';
    const tail = opts.mask([stdout, reply.stderr ?? ''].join('\n').split('\n').filter(Boolean).slice(-20).join('\n'));
    for (const line of tail.split('\n').filter(Boolean)) opts.onLine?.(line);
    if (opts.signal?.aborted) return { exitCode: null, stdout, tail, timedOut: false, aborted: true };
    if (delay > limit) return { exitCode: null, stdout, tail, timedOut: true, aborted: false };
    return { exitCode: reply.exit ?? 0, stdout, tail, timedOut: false, aborted: false };
  }
}
