/** The default flag store: a JSON object in a file, replaced atomically (temp file, fsync, rename). */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MigrateError } from '../errors.js';
import type { FlagState, FlagStore, FlagValue } from './store.js';

export class FileFlagStore implements FlagStore {
  constructor(readonly path: string) {}

  get describe(): string {
    return `file ${this.path}`;
  }

  private read(): Record<string, FlagValue> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch { /* reported below */ }
    throw new MigrateError(`flag file ${this.path} is not a JSON object; fix or remove it before any flag step runs`);
  }

  private write(flags: Record<string, FlagValue>): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${JSON.stringify(flags, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    // The rename itself must survive a crash: sync the directory entry.
    const dir = openSync(dirname(this.path), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  }

  async get(name: string): Promise<FlagState> {
    const flags = this.read();
    return Object.hasOwn(flags, name) ? { exists: true, value: flags[name] } : { exists: false };
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
