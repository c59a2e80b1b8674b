/**
 * The last word on what reaches the terminal: every write to stdout and
 * stderr passes through the process-wide redactor, so a secret in any
 * spelling is masked even on paths that forgot to (an error line quoting a
 * failed command, a library's message).
 */
import { redact } from '../runbook/redact.js';

export function maskProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(redact(chunk), ...rest);
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk).toString('utf8');
        const masked = redact(text);
        return write(masked === text ? chunk : masked, ...rest);
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
