/**
 * Processes via node:child_process. Each child leads its own process group,
 * so a timeout or an interrupt kills everything it started, not just the
 * shell. Not execa (SPEC 1): its ~130 modules cost more than the rest of a
 * one-step stage's start, and its per-call machinery several ms per step;
 * what the runner needs (a group, pipes, the exit code) is a few lines here.
 */
import { spawn } from 'node:child_process';
import type { ProcessResult, ProcessRunner } from './types.js';

const TAIL_LINES = 40;
/** A longer line is cut (kept: its start and its length): a 40 MB line must not reach the screen or the journal whole. */
export const MAX_LINE = 4096;
/**
 * Kept beyond MAX_LINE until the line is masked: a secret that begins before
 * the cut is then whole when masking looks for it (and gone after the cut).
 */
const MASK_MARGIN = 4096;
/** Lines shown live per process; beyond that only the tail is kept, and a count of what was not shown. */
export const MAX_SHOWN_LINES = 10_000;
/** stdout kept for a check's value or a flag's state. */
const MAX_STDOUT = 1 << 20;

export class ChildRunner implements ProcessRunner {
  async run(
    cmd: { shell?: string; argv?: string[]; script?: string },
    opts: Parameters<ProcessRunner['run']>[1],
  ): Promise<ProcessResult> {
    const [file, ...args] = cmd.argv ?? [cmd.shell ?? 'sh', '-c', cmd.script ?? ''];
    // The schema requires a non-empty argv.
    if (file === undefined) throw new Error('internal: an argv command without a program');
    const tail: string[] = [];
    let stdout = '';
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    // A program that cannot start (not found, not executable) has no exit code; its reason is its output.
    const exited = new Promise<number | null>((resolve) => {
      child.on('error', (e) => {
        tail.push(opts.mask(e.message));
        resolve(null);
      });
      child.on('exit', (code) => resolve(code));
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        /* the program exited without reading it all */
      });
      child.stdin.end(opts.input);
    }
    if (child.pid) opts.onSpawn?.(child.pid);
    const killGroup = () => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    let timedOut = false;
    let aborted = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    let shown = 0;
    const emit = (line: string, dropped: number) => {
      const whole = opts.mask(line);
      const over = dropped + Math.max(0, whole.length - MAX_LINE);
      const masked = over ? `${whole.slice(0, MAX_LINE)}… [${over} more characters cut]` : whole;
      tail.push(masked);
      if (tail.length > TAIL_LINES) tail.shift();
      if (++shown <= MAX_SHOWN_LINES) opts.onLine?.(masked);
    };
    const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) =>
      new Promise<void>((resolve) => {
        if (!stream) return resolve();
        const lines = new LineSplitter(emit);
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          if (isStdout && stdout.length < MAX_STDOUT) stdout += chunk.slice(0, MAX_STDOUT - stdout.length);
          lines.push(chunk);
        });
        // A program that never started closes its pipes without an 'end'.
        let done = false;
        const finish = () => {
          if (!done) {
            done = true;
            lines.end();
            resolve();
          }
        };
        stream.on('end', finish);
        stream.on('close', finish);
        stream.on('error', finish);
      });
    const [exitCode] = await Promise.all([exited, collect(child.stdout, true), collect(child.stderr, false)]);
    if (shown > MAX_SHOWN_LINES)
      opts.onLine?.(`… ${shown - MAX_SHOWN_LINES} more lines not shown (the last ${TAIL_LINES} are kept)`);
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    return { exitCode: timedOut || aborted ? null : exitCode, stdout, tail: tail.join('\n'), timedOut, aborted };
  }
}

/**
 * Splits a stream into lines in linear time, whatever their length: a line
 * longer than `keep` keeps its start and reports how much was dropped, and
 * its rest is dropped as it arrives rather than accumulated.
 */
export class LineSplitter {
  private partial = '';
  private dropped = 0;

  constructor(
    private readonly emit: (line: string, dropped: number) => void,
    private readonly keep = MAX_LINE + MASK_MARGIN,
  ) {}

  push(chunk: string): void {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      this.take(chunk.slice(from, nl));
      this.flush();
      from = nl + 1;
    }
    this.take(chunk.slice(from));
  }

  end(): void {
    if (this.partial || this.dropped) this.flush();
  }

  private take(piece: string): void {
    const room = this.keep - this.partial.length;
    if (piece.length <= room) this.partial += piece;
    else {
      this.partial += piece.slice(0, room);
      this.dropped += piece.length - room;
    }
  }

  private flush(): void {
    this.emit(this.partial, this.dropped);
    this.partial = '';
    this.dropped = 0;
  }
}
