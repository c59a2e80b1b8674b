/**
 * The file journal: <state-dir>/journal.jsonl, one event per line, each
 * fsynced before append() returns. A torn last line (a crash mid-write) is
 * ignored when reading and cut off before the next write. A snapshot of the
 * projections, with the byte offset it covers, keeps reads fast on a long
 * journal: only the tail after it is replayed.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { apply, emptyProjection, type Projection } from './project.js';
import type { Journal, JournalEvent, NewEvent } from './types.js';

interface Snapshot { version: 1; offset: number; projections: Record<string, Projection> }

export class FileJournal implements Journal {
  readonly path: string;
  private readonly snapshotPath: string;
  private fd: number | null = null;

  constructor(readonly dir: string) {
    this.path = join(dir, 'journal.jsonl');
    this.snapshotPath = join(dir, 'snapshot.json');
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(this.path, 'a+');
    this.repairTail(fd);
    this.fd = fd;
    return fd;
  }

  /** Cut a torn last line so the next event starts on a line of its own. */
  private repairTail(fd: number): void {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16));
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    if (chunk[chunk.length - 1] === 0x0a) return;
    const nl = chunk.lastIndexOf(0x0a);
    const keep = nl < 0 ? (size > chunk.length ? size - chunk.length : 0) : size - chunk.length + nl + 1;
    ftruncateSync(fd, keep);
    fsyncSync(fd);
  }

  async append(event: NewEvent, opts: { sync?: boolean } = {}): Promise<void> {
    const fd = this.open();
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`;
    writeSync(fd, line);
    if (opts.sync !== false) fsyncSync(fd);
  }

  private readSnapshot(): Snapshot {
    try {
      const s = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as Snapshot;
      if (s.version === 1) return s;
    } catch { /* no snapshot yet, or a bad one: replay from the start */ }
    return { version: 1, offset: 0, projections: {} };
  }

  /** Replay events after the snapshot's offset into its projections. */
  private replay(): Snapshot {
    const snap = this.readSnapshot();
    if (!existsSync(this.path)) return snap;
    const fd = openSync(this.path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (snap.offset > size) return this.rebuild(); // journal was replaced: do not trust the snapshot
      let offset = snap.offset;
      const buf = Buffer.alloc(1 << 20);
      let carry = '';
      while (offset < size) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        const text = carry + buf.toString('utf8', 0, n);
        const lines = text.split('\n');
        carry = lines.pop()!;
        for (const line of lines) this.applyLine(snap, line);
        snap.offset = offset - Buffer.byteLength(carry);
      }
      // `carry` is a torn line with no newline: ignored, and not covered by the offset.
      return snap;
    } finally {
      closeSync(fd);
    }
  }

  private rebuild(): Snapshot {
    try { renameSync(this.snapshotPath, `${this.snapshotPath}.stale`); } catch { /* none */ }
    return this.replay();
  }

  private applyLine(snap: Snapshot, line: string): void {
    if (!line.trim()) return;
    let e: JournalEvent;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const p = (snap.projections[e.runbook] ??= emptyProjection(e.runbook));
    apply(p, e);
  }

  async project(runbook: string): Promise<Projection> {
    return this.replay().projections[runbook] ?? emptyProjection(runbook);
  }

  async checkpoint(): Promise<void> {
    const snap = this.replay();
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.snapshotPath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snap));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotPath);
  }

  async close(): Promise<void> {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = null;
  }
}
