/**
 * Reading a runbook file, bounded. Every command reads the runbook through
 * here, so a huge or endless file (a dump, /dev/zero, a pipe) is refused after
 * at most MAX_RUNBOOK_BYTES + 1 bytes instead of exhausting memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Runbooks are a few KB; 1 MiB leaves room for long inline SQL. */
export const MAX_RUNBOOK_BYTES = 1 << 20;

export class RunbookTooLarge extends Error {
  /** bytes: the file's size, or null for a pipe or device (only known to exceed the limit). */
  constructor(readonly bytes: number | null) {
    const size = bytes === null ? 'over' : `${(bytes / (1 << 20)).toFixed(1)} MiB, over`;
    super(
      `the runbook is ${size} the ${MAX_RUNBOOK_BYTES >> 20} MiB limit (a runbook is a few KB: is this the right file?)`,
    );
  }
}

/** The file's text; throws RunbookTooLarge, or the fs error (ENOENT, EISDIR...). */
export function readRunbookText(file: string): string {
  const fd = openSync(file, 'r');
  try {
    // Size first: reading a multi-GB file to refuse it would be the harm itself.
    const st = fstatSync(fd);
    if (st.isFile() && st.size > MAX_RUNBOOK_BYTES) throw new RunbookTooLarge(st.size);
    // Bounded even so: a pipe (`-r <(generate)`) or a device has no size, and a file may grow meanwhile.
    const bytes = readAtMost(fd, MAX_RUNBOOK_BYTES + 1);
    if (bytes.length > MAX_RUNBOOK_BYTES)
      throw new RunbookTooLarge(st.isFile() ? Math.max(st.size, bytes.length) : null);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
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
