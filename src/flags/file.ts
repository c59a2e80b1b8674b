/** The default flag store: a JSON object in a file, replaced atomically (temp file, fsync, rename). */
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { MigrateError } from '../errors.js';
import { isRegularFile, openPrivate, readRegular } from '../journal/statedir.js';
import type { FlagState, FlagStore, FlagValue } from './store.js';

export class FileFlagStore implements FlagStore {
  constructor(readonly path: string) {}

  get describe(): string {
    return `file ${this.path}`;
  }

  private read(): Record<string, FlagValue> {
    // Never through a symlink: a link planted beside the flags would be read, then replaced by our write.
    const text = readRegular(this.path);
    if (text === null) return {};
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      /* reported below */
    }
    throw new MigrateError(`flag file ${this.path} is not a JSON object; fix or remove it before any flag step runs`);
  }

  private write(flags: Record<string, FlagValue>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      unlinkSync(tmp);
    } catch {
      /* none left by a crash */
    }
    // Created 0600 without following a symlink; an existing flag file (which an application may read) keeps its mode.
    const fd = openPrivate(tmp, 'wx');
    try {
      if (isRegularFile(this.path)) fchmodSync(fd, statSync(this.path).mode & 0o777);
      writeSync(fd, `${JSON.stringify(flags, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    // The rename itself must survive a crash: sync the directory entry.
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  async get(name: string): Promise<FlagState> {
    const flags = this.read();
    // Own keys only: a flag named 'constructor' is not Object.prototype's. JSON has no undefined values.
    const value = Object.hasOwn(flags, name) ? flags[name] : undefined;
    return value !== undefined ? { exists: true, value } : { exists: false };
  }

  async set(name: string, value: FlagValue): Promise<void> {
    this.write({ ...this.read(), [name]: value });
  }

  async remove(name: string): Promise<void> {
    const flags = this.read();
    if (!Object.hasOwn(flags, name)) return;
    delete flags[name];
    this.write(flags);
  }

  async list(): Promise<Record<string, FlagValue>> {
    return this.read();
  }

  async close(): Promise<void> {}
}
