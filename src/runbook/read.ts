/**
 * Reading a runbook file, bounded. Every command reads the runbook through
 * here, so a huge or endless file (a dump, /dev/zero, a pipe) is refused after
 * at most MAX_RUNBOOK_BYTES + 1 bytes instead of exhausting memory.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { NotUtf8, RunbookTooLarge } from '../errors.js';

/** Runbooks are a few KB; 1 MiB leaves room for long inline SQL. */
export const MAX_RUNBOOK_BYTES = 1 << 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text; throws RunbookTooLarge, NotUtf8, or the fs error (ENOENT, EISDIR...). */
export function readRunbookText(file: string): string {
  refuseNamedPipe(file);
  const fd = openSync(file, 'r');
  try {
    // Size first: reading a multi-GB file to refuse it would be the harm itself.
    const st = fstatSync(fd);
    if (st.isFile() && st.size > MAX_RUNBOOK_BYTES) throw new RunbookTooLarge(st.size, MAX_RUNBOOK_BYTES);
    // Bounded even so: a pipe (`-r <(generate)`) or a device has no size, and a file may grow meanwhile.
    const bytes = readAtMost(fd, MAX_RUNBOOK_BYTES + 1);
    if (bytes.length > MAX_RUNBOOK_BYTES)
      throw new RunbookTooLarge(st.isFile() ? Math.max(st.size, bytes.length) : null, MAX_RUNBOOK_BYTES);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new NotUtf8(bytes.subarray(0, firstInvalid(bytes)).toString('utf8'));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A named pipe with no writer would block open() for ever; one from `<(...)`
 * (an anonymous pipe, whose real path is no file) is read as a stream.
 */
function refuseNamedPipe(file: string): void {
  let named = false;
  try {
    named = statSync(file).isFIFO() && lstatSync(realpathSync(file)).isFIFO();
  } catch {
    /* not there, or anonymous: open() says what is wrong, if anything */
  }
  if (named) throw Object.assign(new Error('a named pipe (FIFO) is not a regular file'), { code: 'EFIFO' });
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalid(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    try {
      utf8.decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}

function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 16, limit - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/**
 * The text every offset counts in: without a BOM (js-yaml drops it, and an
 * editor shows none), each lone CR a \n (YAML breaks lines there too; the same
 * length, so offsets hold).
 */
export function normalizeSource(source: string): string {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}
