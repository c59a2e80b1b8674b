/**
 * One run per runbook: <state-dir>/<runbook>.lock holds pid, host, operator
 * and start time. A lock whose process is gone on this host is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../errors.js';
import type { Lock, LockInfo } from './types.js';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeHolder(h: LockInfo): string {
  return `${h.operator} (pid ${h.pid} on ${h.host}, since ${h.since})`;
}

export class FileLock implements Lock {
  readonly path: string;
  private held = false;

  constructor(dir: string, runbook: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${runbook}.lock`);
  }

  async holder(): Promise<LockInfo | null> {
    let h: LockInfo;
    try {
      h = JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
    } catch {
      return null;
    }
    return { ...h, stale: FileLock.isStale(h) };
  }

  /** Whether the holder is a live process (or on another host, where we cannot tell). */
  static isStale(h: LockInfo): boolean {
    return h.host === hostname() && !processAlive(h.pid);
  }

  async acquire(info: LockInfo): Promise<{ takenOver: LockInfo | null }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(this.path, JSON.stringify(info), { flag: 'wx' });
        this.held = true;
        return { takenOver: null };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const h = await this.holder();
      if (h && !FileLock.isStale(h)) {
        throw new LockHeldError(`another run holds the lock: ${describeHolder(h)}`, `wait for it to finish; if that process is gone on another host, run 'migrate unlock'`);
      }
      try { unlinkSync(this.path); } catch { /* raced with another taker */ }
      if (h) {
        writeFileSync(this.path, JSON.stringify(info), { flag: 'wx' });
        this.held = true;
        return { takenOver: h };
      }
    }
    throw new LockHeldError('could not take the lock: it changed hands while trying');
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  async remove(): Promise<void> {
    try { unlinkSync(this.path); } catch { /* none */ }
  }
}
