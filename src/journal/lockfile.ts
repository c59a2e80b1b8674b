/**
 * One run per runbook: <state-dir>/<runbook>.lock holds pid, host, operator,
 * start time and run id. The file is written whole under a temp name and
 * linked into place (link never replaces), so no one ever reads a half-written
 * lock. A lock whose process is gone on this host is taken over by exactly
 * one run; a run removes only a lock holding its own run id.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../errors.js';
import { ensureStateDir, openPrivate, readRegular } from './statedir.js';
import type { Lock, LockInfo, StopRequest } from './types.js';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When a process started (clock ticks since boot, Linux): a reused pid has another start time. */
export function processStarted(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockInfo): string {
  return `${h.operator} (pid ${h.pid} on ${h.host}, since ${h.since}${h.session !== undefined && h.session !== h.pid ? `, database session ${h.session}` : ''})`;
}

const sameHolder = (a: LockInfo, b: LockInfo) =>
  a.pid === b.pid && a.host === b.host && a.since === b.since && a.run_id === b.run_id;

/** How to stop a live run instead of breaking its lock. */
export const STOP_HINT =
  'to stop that run: press Ctrl-C in its terminal, or run \'migrate rollback --emergency --reason "..."\' (it interrupts the run, then rolls back)';

/** `unlock` never breaks a live run: only a holder proven gone, or with --force one that cannot be checked from here. */
export function assertRemovable(h: LockInfo, force: boolean): void {
  if (h.stale) return;
  if (h.unverifiable && force) return;
  if (h.unverifiable) {
    throw new LockHeldError(
      `the lock is held by ${describeHolder(h)}, which cannot be checked from this host`,
      `make sure that run is gone on ${h.host}, then 'migrate unlock --force'; ${STOP_HINT}`,
    );
  }
  throw new LockHeldError(
    `the lock is held by a live run: ${describeHolder(h)}; unlock refuses to break it`,
    STOP_HINT,
  );
}

/** Test-only: tests set MIGRATE_TEST_LOCK_DELAY_MS to widen the window between seeing a holder and acting on it. */
async function testDelay(): Promise<void> {
  const ms = Number(process.env.MIGRATE_TEST_LOCK_DELAY_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FileLock implements Lock {
  readonly path: string;
  private mine: string | null = null;

  constructor(
    readonly dir: string,
    readonly runbook: string,
    private readonly onStop?: (r: StopRequest) => void,
  ) {
    this.path = join(dir, `${runbook}.lock`);
  }

  /** Where an emergency rollback leaves its request for the holder, before signalling it. */
  get stopPath(): string {
    return `${this.path}.stop`;
  }

  /** Where `promote` leaves its request: a file of its own, so a promote never overwrites an emergency's request. */
  get promotePath(): string {
    return `${this.path}.promote`;
  }

  /** The raw lock text; null when there is no lock. */
  private raw(path = this.path): string | null {
    return readRegular(path);
  }

  async holder(): Promise<LockInfo | null> {
    const text = this.raw();
    return text === null ? null : FileLock.parse(text, this.path);
  }

  static parse(text: string, path: string): LockInfo {
    try {
      const h = JSON.parse(text) as LockInfo;
      if (h && typeof h.pid === 'number' && typeof h.host === 'string') return { ...h, ...FileLock.liveness(h) };
    } catch {
      /* below */
    }
    // Never written by a run of this version (the lock is linked into place whole): someone else's, or damaged.
    return {
      pid: 0,
      host: 'unknown',
      operator: 'unknown',
      since: 'unknown',
      unreadable: `lock file ${path} is empty or unreadable`,
      unverifiable: true,
    };
  }

  /** Proven gone: on this host, and its pid is free or now belongs to a process that started later. */
  static liveness(h: LockInfo): { stale: boolean; unverifiable: boolean } {
    if (h.host !== hostname()) return { stale: false, unverifiable: true };
    const dead =
      !processAlive(h.pid) ||
      (h.started !== undefined && processStarted(h.pid) !== undefined && processStarted(h.pid) !== h.started);
    return { stale: dead, unverifiable: false };
  }

  private writeTemp(value: LockInfo | StopRequest): string {
    const tmp = `${this.path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    const fd = openPrivate(tmp, 'wx');
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } catch (e) {
      // A full disk: the half-written temp file must not stay behind.
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
      throw e;
    } finally {
      closeSync(fd);
    }
    return tmp;
  }

  async acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }> {
    ensureStateDir(this.dir);
    const full: LockInfo = { ...info, started: processStarted(process.pid) };
    const tmp = this.writeTemp(full);
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        if (this.link(tmp)) return this.took(full, null);
        const text = this.raw();
        if (text === null) continue; // released meanwhile: try again
        const h = FileLock.parse(text, this.path);
        if (h.unreadable)
          throw new LockHeldError(
            `${h.unreadable}; a run may still hold it`,
            "if no run is going, remove it with 'migrate unlock --force'",
          );
        if (!h.stale)
          throw new LockHeldError(
            `another run holds the lock: ${describeHolder(h)}`,
            `wait for it to finish; ${STOP_HINT}`,
          );
        await testDelay();
        const taken = this.takeOver(text, tmp);
        if (taken) return this.took(full, h);
        await sleep(20); // another taker is at it: look again
      }
      throw new LockHeldError('could not take the lock: it kept changing hands');
    } finally {
      try {
        unlinkSync(tmp);
      } catch {
        /* linked or gone */
      }
    }
  }

  private took(info: LockInfo, previous: LockInfo | null): { takenOver: LockInfo | null } {
    this.mine = JSON.stringify(info);
    if (this.onStop) process.on('SIGUSR2', this.onSignal);
    return { takenOver: previous };
  }

  /** Link the finished temp file into place; false when a lock is there. */
  private link(tmp: string, path = this.path): boolean {
    try {
      linkSync(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  /**
   * Replace the dead holder's lock, serialized through a takeover file taken
   * with link: of two takers exactly one gets it, re-checks that the lock is
   * still the dead one, and swaps in its own.
   */
  private takeOver(dead: string, tmp: string): boolean {
    const guard = `${this.path}.takeover`;
    if (!this.link(tmp, guard)) {
      this.clearAbandonedGuard(guard);
      return false;
    }
    try {
      if (this.raw() !== dead) return false;
      unlinkSync(this.path);
      return this.link(tmp);
    } finally {
      try {
        unlinkSync(guard);
      } catch {
        /* gone */
      }
    }
  }

  /** A taker that died inside takeOver (a window of microseconds) leaves its guard: move it aside if its process is gone. */
  private clearAbandonedGuard(guard: string): void {
    const text = this.raw(guard);
    if (text === null || !FileLock.parse(text, guard).stale) return;
    const aside = `${guard}.${process.pid}.dead`;
    try {
      renameSync(guard, aside);
      if (this.raw(aside) !== text) this.link(aside, guard); // a live taker's guard: put it back
      unlinkSync(aside);
    } catch {
      /* someone else cleared it */
    }
  }

  async release(): Promise<void> {
    if (this.mine === null) return;
    const mine = this.mine;
    this.mine = null;
    process.off('SIGUSR2', this.onSignal);
    // Only our own lock: after an unlock of a dead-looking run, the file may be someone else's now.
    if (this.raw() === mine) {
      try {
        unlinkSync(this.path);
      } catch {
        /* gone */
      }
    }
  }

  /** Move the lock aside and check it is still the one judged removable: a run may have taken it over meanwhile. */
  async remove(h: LockInfo, opts: { force: boolean }): Promise<void> {
    assertRemovable(h, opts.force);
    const aside = `${this.path}.${process.pid}.removed`;
    try {
      renameSync(this.path, aside);
    } catch {
      return; // gone already
    }
    const now = this.raw(aside);
    const same =
      now !== null &&
      (h.unreadable ? FileLock.parse(now, aside).unreadable : sameHolder(FileLock.parse(now, aside), h));
    if (!same && !this.link(aside, this.path))
      throw new LockHeldError('the lock changed hands while removing it; nothing was removed');
    unlinkSync(aside);
    if (!same)
      throw new LockHeldError(
        'the lock changed hands while removing it; nothing was removed',
        "run 'migrate status' to see who holds it now",
      );
  }

  /**
   * Emergency on this host: leave the request beside the lock, signal the
   * holder (SIGUSR2: it stops its steps, journals why and lets go) and wait.
   * A holder that has not let go within `waitMs` is killed; the caller then
   * takes its lock over as a dead holder's.
   */
  async preempt(h: LockInfo, request: StopRequest, waitMs: number): Promise<void> {
    if (h.unverifiable) {
      throw new LockHeldError(
        `${h.unreadable ?? `the lock is held by ${describeHolder(h)}, on another host`}: a signal cannot reach it from here`,
        'stop that run where it runs (Ctrl-C); a team on several hosts shares a PostgreSQL journal, whose emergencies reach every host',
      );
    }
    const tmp = this.writeTemp({ ...request, run_id: h.run_id });
    renameSync(tmp, this.stopPath);
    try {
      const holding = async () => {
        const now = await this.holder();
        return now !== null && sameHolder(now, h) && !now.stale;
      };
      const wait = async (ms: number) => {
        const end = Date.now() + ms;
        while ((await holding()) && Date.now() < end) await sleep(20);
      };
      if (!h.stale) process.kill(h.pid, 'SIGUSR2');
      await wait(waitMs);
      if (!(await holding())) return;
      process.kill(h.pid, 'SIGKILL');
      await wait(2000);
    } finally {
      try {
        unlinkSync(this.stopPath);
      } catch {
        /* gone */
      }
    }
  }

  /**
   * promote on this host: leave the request beside the lock and signal the
   * holder, which reads (and removes) it at once; a request for a hold that
   * already ended is ignored by the holder.
   */
  async request(h: LockInfo, request: StopRequest): Promise<void> {
    if (h.unverifiable || h.stale) {
      throw new LockHeldError(
        `${h.unreadable ?? `the lock is held by ${describeHolder(h)}, ${h.stale ? 'which is gone' : 'on another host'}`}: it cannot be asked from here`,
        'a team on several hosts shares a PostgreSQL journal, whose requests reach every host',
      );
    }
    renameSync(this.writeTemp({ ...request, run_id: h.run_id }), this.promotePath);
    process.kill(h.pid, 'SIGUSR2');
  }

  /** One signal for every request: an emergency's stop is looked at first. */
  private readonly onSignal = () => {
    const run = this.mine ? (JSON.parse(this.mine) as LockInfo).run_id : undefined;
    const read = (path: string) => {
      const text = this.raw(path);
      try {
        return text ? (JSON.parse(text) as StopRequest) : null;
      } catch {
        return null;
      }
    };
    const stop = read(this.stopPath);
    if (stop && run && stop.run_id === run) this.onStop?.({ ...stop, kind: 'abort' });
    const promote = read(this.promotePath);
    if (promote && run && promote.run_id === run) {
      try {
        unlinkSync(this.promotePath);
      } catch {
        /* gone */
      }
      this.onStop?.({ ...promote, kind: 'promote' });
    }
  };
}
