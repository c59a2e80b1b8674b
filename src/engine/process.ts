/**
 * Processes via execa. Each child leads its own process group, so a timeout
 * or an interrupt kills everything it started, not just the shell.
 */
import { execa } from 'execa';
import type { ProcessResult, ProcessRunner } from './types.js';

const TAIL_LINES = 40;

export class ExecaRunner implements ProcessRunner {
  async run(cmd: { shell?: string; argv?: string[]; script?: string }, opts: Parameters<ProcessRunner['run']>[1]): Promise<ProcessResult> {
    const [file, ...args] = cmd.argv ?? [cmd.shell ?? 'sh', '-c', cmd.script ?? ''];
    const tail: string[] = [];
    let stdout = '';
    const child = execa(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: true,
      detached: true,
      reject: false,
      ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
      buffer: false,
      stripFinalNewline: false,
    });
    const killGroup = () => {
      if (child.pid) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    };
    let timedOut = false;
    let aborted = false;
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; killGroup(); }, opts.timeoutMs) : undefined;
    const onAbort = () => { aborted = true; killGroup(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) => new Promise<void>((resolve) => {
      if (!stream) return resolve();
      let partial = '';
      stream.setEncoding('utf8');
      const emit = (line: string) => {
        const masked = opts.mask(line);
        tail.push(masked);
        if (tail.length > TAIL_LINES) tail.shift();
        opts.onLine?.(masked);
      };
      stream.on('data', (chunk: string) => {
        if (isStdout && stdout.length < 1 << 20) stdout += chunk;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        lines.forEach(emit);
      });
      stream.on('end', () => { if (partial) emit(partial); resolve(); });
      stream.on('error', () => resolve());
    });
    const [result] = await Promise.all([child, collect(child.stdout, true), collect(child.stderr, false)]);
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    return { exitCode: timedOut || aborted ? null : result.exitCode ?? null, stdout, tail: tail.join('\n'), timedOut, aborted };
  }
}
