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
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { asEnvironmentError } from '../errors.js';
import { ensureStateDir, openPrivate, readRegular } from './statedir.js';
import { emptyProjection, type Projection } from './project.js';
import {
  emptySnapshot,
  lostStates,
  passThrough,
  watchedStates,
  replayTail,
  settleLost,
  tailHash,
  validSnapshot,
  writeSnapshot,
  type Snapshot,
} from './snapshot.js';
import type { EventName, NewEvent } from './events.js';
import type { Journal } from './journal.js';

/**
 * A read that replayed at least this much refreshes the snapshot, so the next
 * read does not replay it again; a smaller tail costs less to replay than to save.
 */
const REFRESH_BYTES = 1 << 20;

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
      try {
        closeSync(fd);
      } catch {
        /* already broken */
      }
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
    } catch {
      /* reported below */
    }
    this.note(`${this.snapshotPath} is damaged: rebuilt from the journal`);
    return emptySnapshot();
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  /** Replay events after the snapshot's offset into its projections; `from` is the offset the stored snapshot covered. */
  private replay(): Snapshot & { from: number } {
    let snap = this.readSnapshot();
    const from = snap.offset;
    // A snapshot with no journal: the journal was deleted or moved, and what it held is gone.
    const exists = existsSync(this.path);
    if (!exists && snap.offset === 0) return { ...snap, from };
    const fd = exists ? fsDo(`cannot read the journal ${this.path}`, () => openPrivate(this.path, 'r')) : null;
    try {
      return fsDo(`cannot read the journal ${this.path}`, () => {
        const size = fd === null ? 0 : fstatSync(fd).size;
        const before = snap;
        const lost =
          fd === null
            ? `${this.path} is gone, though it held ${snap.offset} bytes (${snap.lines} events) when last read: events are lost`
            : this.lostSince(fd, size, snap);
        if (lost) snap = { ...emptySnapshot([lost]), ...(before.lost ? { lost: before.lost } : {}) };
        const watch = passThrough(watchedStates(lost ? before : null, snap.lost));
        if (fd !== null) replayTail(fd, size, snap, this.path, watch.onLine);
        if (lost) snap.lost = lostStates(before, snap, watch.passed);
        const settled = settleLost(snap, watch.passed);
        // Saved at once: a later read against the old snapshot would find the loss again and take
        // what runs did since (a rollback) for part of it; a settled loss would come back once a
        // rollback lowers the stage again.
        if (lost || settled) this.refresh(snap);
        return Object.assign(snap, { from: lost ? 0 : from });
      });
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /** Whether the journal still holds what the snapshot covered; a sentence when it does not. */
  private lostSince(fd: number, size: number, snap: Snapshot): string | null {
    if (snap.offset === 0) return null;
    if (snap.offset > size) {
      return `${this.path} is shorter (${size} bytes) than when last read (${snap.offset} bytes, ${snap.lines} events): it was truncated or replaced; events may be lost`;
    }
    if (tailHash(fd, snap.offset) !== snap.tail)
      return `${this.path} changed before line ${snap.lines + 1} since it was last read: it was edited or replaced`;
    return null;
  }

  async project(runbook: string): Promise<Projection> {
    const { from, ...snap } = this.replay();
    if (snap.offset - from >= REFRESH_BYTES) this.refresh(snap);
    const p = snap.projections[runbook] ?? emptyProjection(runbook);
    const lost = snap.lost?.[runbook];
    return { ...p, damage: [...new Set(snap.damage)], notes: [...this.notes], ...(lost ? { lost } : {}) };
  }

  /**
   * Save what a read replayed, best effort: the snapshot is only a cache, so a
   * state dir that is read-only (or full, or gone) is silently left as it is.
   * Never creates the state dir: a read leaves no trace where nothing ran.
   */
  private refresh(snap: Snapshot): void {
    try {
      if (ensureStateDir(this.dir, false)) writeSnapshot(this.snapshotPath, snap);
    } catch {
      /* a cache not saved: the next read replays the tail again */
    }
  }

  async checkpoint(): Promise<void> {
    const { from: _, ...snap } = this.replay();
    fsDo(`cannot write the snapshot ${this.snapshotPath}`, () => {
      ensureStateDir(this.dir);
      writeSnapshot(this.snapshotPath, snap);
    });
  }

  async milestone(): Promise<void> {
    await this.checkpoint();
  }

  async close(): Promise<void> {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        fsyncSync(fd);
      } catch {
        /* reported by the append that failed */
      }
      closeSync(fd);
    }
  }
}
