/**
 * The file journal: <state-dir>/journal.jsonl, one event per line, each
 * fsynced before append() returns. A torn last line (a crash mid-write) is
 * ignored when reading and cut off before the next write. A snapshot of the
 * projections, with the byte offset it covers, keeps reads fast on a long
 * journal: only the tail after it is replayed.
 *
 * Damage is reported, never fatal to reading: a line that is not an event is
 * skipped and named (file:line); a journal that no longer holds what the
 * snapshot covered (truncated, edited, replaced) is replayed from the start and
 * said so. Both stay on record in the snapshot (`damage`), so stages keep
 * refusing until a person has looked (plan/readiness). fs failures become
 * one-line EnvironmentErrors (exit 6).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { asEnvironmentError } from '../errors.js';
import { ensureStateDir, openPrivate, readRegular } from './statedir.js';
import { apply, emptyProjection, type Projection } from './project.js';
import { parseEvent, type EventName, type NewEvent } from './events.js';
import type { Journal } from './journal.js';

interface Snapshot {
  version: 1;
  /** Bytes of the journal the projections cover, and how many lines that is. */
  offset: number;
  lines: number;
  /** Hash of the last bytes before `offset`: a journal cut short or rewritten no longer matches. */
  tail: string;
  projections: Record<string, Projection>;
  /** What was wrong with the journal, for people (kept until the snapshot is deleted). */
  damage: string[];
}

const TAIL_BYTES = 256;
const emptySnapshot = (damage: string[] = []): Snapshot => ({ version: 1, offset: 0, lines: 0, tail: '', projections: {}, damage });

function validSnapshot(s: unknown): s is Snapshot {
  const o = s as Partial<Snapshot> | null;
  return !!o && typeof o === 'object' && o.version === 1 && Number.isSafeInteger(o.offset) && Number.isSafeInteger(o.lines)
    && typeof o.tail === 'string' && !!o.projections && typeof o.projections === 'object' && !Array.isArray(o.projections)
    && Object.values(o.projections).every((p) => p && typeof p === 'object' && Array.isArray(p.applied) && Array.isArray(p.runs))
    && Array.isArray(o.damage);
}

/** Run an fs call; its failure becomes a one-line EnvironmentError saying what could not be done. */
function fsDo<T>(doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asEnvironmentError(e, doing);
  }
}

export class FileJournal implements Journal {
  readonly path: string;
  private readonly snapshotPath: string;
  private fd: number | null = null;
  /** Said once per process: the snapshot was unreadable and got rebuilt. */
  private notes: string[] = [];

  constructor(readonly dir: string) {
    this.path = join(dir, 'journal.jsonl');
    this.snapshotPath = join(dir, 'snapshot.json');
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    fsDo(`cannot create the state directory ${this.dir}`, () => ensureStateDir(this.dir));
    const fd = fsDo(`cannot open the journal ${this.path}`, () => openPrivate(this.path, 'a+'));
    try {
      fsDo(`cannot repair the journal ${this.path}`, () => this.repairTail(fd));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
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

  async append<E extends EventName>(event: NewEvent<E>, opts: { sync?: boolean } = {}): Promise<void> {
    const fd = this.open();
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`;
    try {
      fsDo(`cannot write the journal ${this.path}`, () => {
        writeSync(fd, line);
        if (opts.sync !== false) fsyncSync(fd);
      });
    } catch (e) {
      // A write cut short (disk full) leaves a torn line: reopen, so the next append repairs it first.
      try { closeSync(fd); } catch { /* already broken */ }
      this.fd = null;
      throw e;
    }
  }

  private readSnapshot(): Snapshot {
    let text: string | null;
    try {
      text = readRegular(this.snapshotPath);
      if (text === null) return emptySnapshot();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The snapshot is only a cache: anything wrong with the file itself is repaired by replaying the journal.
      if (code === 'EISDIR') this.note(`${this.snapshotPath} is a directory: rebuilt from the journal`);
      else if (code !== 'ENOENT') throw asEnvironmentError(e, `cannot use the state directory ${this.dir}`);
      return emptySnapshot();
    }
    try {
      const s = JSON.parse(text) as Partial<Snapshot>;
      if (validSnapshot(s)) return s;
      if (s?.version === 1 && s.tail === undefined && s.projections) return emptySnapshot(); // an older format: rebuilt quietly
    } catch { /* reported below */ }
    this.note(`${this.snapshotPath} is damaged: rebuilt from the journal`);
    return emptySnapshot();
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** Replay events after the snapshot's offset into its projections. */
  private replay(): Snapshot {
    let snap = this.readSnapshot();
    if (!existsSync(this.path)) return snap;
    const fd = fsDo(`cannot read the journal ${this.path}`, () => openPrivate(this.path, 'r'));
    try {
      return fsDo(`cannot read the journal ${this.path}`, () => {
        const size = fstatSync(fd).size;
        if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
        const lost = this.lostSince(fd, size, snap);
        if (lost) snap = emptySnapshot([lost]);
        this.readFrom(fd, size, snap);
        return snap;
      });
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the journal still holds what the snapshot covered; a sentence when it does not. */
  private lostSince(fd: number, size: number, snap: Snapshot): string | null {
    if (snap.offset === 0) return null;
    if (snap.offset > size) {
      return `${this.path} is shorter (${size} bytes) than when last read (${snap.offset} bytes, ${snap.lines} events): it was truncated or replaced; events may be lost`;
    }
    if (tailHash(fd, snap.offset) !== snap.tail) return `${this.path} changed before line ${snap.lines + 1} since it was last read: it was edited or replaced`;
    return null;
  }

  private readFrom(fd: number, size: number, snap: Snapshot): void {
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
      for (const line of lines) this.applyLine(snap, line, ++snap.lines);
      snap.offset = offset - Buffer.byteLength(carry);
    }
    // `carry` is a torn line with no newline: ignored, and not covered by the offset.
    snap.tail = tailHash(fd, snap.offset);
  }

  private applyLine(snap: Snapshot, line: string, n: number): void {
    if (!line.trim()) return;
    const e = parseEvent(line);
    if (typeof e === 'string') {
      snap.damage.push(`${this.path}:${n} is not an event (${e}): ignored`);
      return;
    }
    const p = (snap.projections[e.runbook] ??= emptyProjection(e.runbook));
    apply(p, e);
  }

  async project(runbook: string): Promise<Projection> {
    const snap = this.replay();
    const p = snap.projections[runbook] ?? emptyProjection(runbook);
    return { ...p, damage: [...new Set(snap.damage)], notes: [...this.notes] };
  }

  async checkpoint(): Promise<void> {
    const snap = this.replay();
    const tmp = `${this.snapshotPath}.${process.pid}.tmp`;
    try {
      fsDo(`cannot write the snapshot ${this.snapshotPath}`, () => {
        ensureStateDir(this.dir);
        try { unlinkSync(tmp); } catch { /* none left by a crash */ }
        const fd = openPrivate(tmp, 'wx');
        try {
          writeSync(fd, JSON.stringify(snap));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, this.snapshotPath);
      });
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* never written */ }
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try { fsyncSync(fd); } catch { /* reported by the append that failed */ }
      closeSync(fd);
    }
  }
}

function tailHash(fd: number, offset: number): string {
  const len = Math.min(offset, TAIL_BYTES);
  const buf = Buffer.alloc(len);
  const n = len ? readSync(fd, buf, 0, len, offset - len) : 0;
  return createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 16);
}
