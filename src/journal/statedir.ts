/**
 * The state directory is private to its operator: created 0700, files 0600,
 * every file opened with O_NOFOLLOW and checked to be a regular file (with
 * one name, when written), so a symlink or hard link planted there never
 * redirects a write (or the journal's tail repair) to another file. A directory owned by someone else, or writable by
 * group or others, is refused: whoever can write there can forge the journal.
 */
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';

const FLAGS: Record<string, number> = {
  r: constants.O_RDONLY,
  'a+': constants.O_RDWR | constants.O_APPEND | constants.O_CREAT,
  w: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
  wx: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
};

const checked = new Set<string>();

/** A path as a message shows it: a runaway one shortened. */
const shown = (path: string) => (path.length > 120 ? `${path.slice(0, 60)}…${path.slice(-40)}` : path);

function problem(e: unknown, path: string, doing: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG')
    return new EnvironmentError(
      `cannot ${doing} ${shown(path)}: the path is too long (${path.length} characters)`,
      'pass --state-dir <dir> with a shorter path',
    );
  if (code === 'EIO')
    return new EnvironmentError(
      `cannot ${doing} ${shown(path)}: input/output error`,
      'check the disk, then run the command again',
    );
  if (code === 'ELOOP')
    return new EnvironmentError(
      `${path} is a symbolic link; migrate does not follow links in its state directory`,
      'remove the link (the state directory holds only files migrate wrote)',
    );
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    code === 'ENOTDIR' ||
    code === 'EISDIR' ||
    code === 'ENOSPC'
  ) {
    return new EnvironmentError(
      `cannot ${doing} ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`,
      'fix the state directory (permissions, space, path), then run the command again',
    );
  }
  return e;
}

/** A state dir that is a symlink to nothing (or to itself): refused, not created at the far end nor read as empty. */
function unreachable(dir: string): void {
  try {
    if (!lstatSync(dir).isSymbolicLink()) return;
  } catch {
    return; // absent, or unreadable: the checks after this say which
  }
  try {
    statSync(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new EnvironmentError(
        `the state directory ${shown(dir)} is a loop of symbolic links`,
        'point it at a real directory, or pass --state-dir <dir>',
      );
    if (code !== 'ENOENT') return;
  }
  const end = linkEnd(dir);
  throw new EnvironmentError(
    `the state directory ${shown(dir)} is a symbolic link to ${shown(end)}, which does not exist`,
    `create ${shown(end)} (mode 0700), or point --state-dir at a directory that exists`,
  );
}

/** Where a chain of symlinks ends: each relative target read from its link's directory. */
function linkEnd(path: string): string {
  let p = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    try {
      if (!lstatSync(p).isSymbolicLink()) return p;
      p = resolve(dirname(p), readlinkSync(p));
    } catch {
      return p;
    }
  }
  return p;
}

/**
 * Create `dir` and its missing parents one by one, 0700. Not mkdir's
 * `recursive`: under /proc it loops forever where no signal can stop it.
 */
function makeDir(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      lstatSync(p);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw e;
      missing.push(p);
    }
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new EnvironmentError(
        `cannot create the state directory ${dir}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`,
        'pass --state-dir <dir> naming a directory that can be created, or create it first',
      );
    }
  }
}

/**
 * Check the state dir (creating it 0700 when `create`): a directory of
 * ours, not writable by group or others. False when it does not exist and
 * was not created.
 */
export function ensureStateDir(dir: string, create = true): boolean {
  if (checked.has(dir)) return true;
  try {
    unreachable(dir);
    if (create) makeDir(dir);
    const st = statSync(dir);
    if (!st.isDirectory())
      throw new EnvironmentError(
        `the state directory ${dir} is not a directory`,
        'pass --state-dir <dir>, or move that file away',
      );
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new EnvironmentError(
        `the state directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): its journal and lock could be forged`,
        'use a state directory of your own (--state-dir), or have its owner run migrate',
      );
    }
    if (st.mode & 0o022) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new EnvironmentError(
        `the state directory ${dir} is writable by group or others (mode ${mode}): its journal and lock could be forged`,
        `chmod go-w ${dir}`,
      );
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !create) return false;
    throw problem(e, dir, 'use the state directory');
  }
  checked.add(dir);
  return true;
}

/** Open a state file without following a symlink, created 0600; refuses anything but a regular file. */
export function openPrivate(path: string, flags: keyof typeof FLAGS): number {
  let fd: number;
  // Truncation waits for the checks below: O_TRUNC on a planted hard link would empty its other name first.
  const truncate = flags === 'w';
  try {
    fd = openSync(path, (FLAGS[flags]! & ~constants.O_TRUNC) | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR')
      throw new EnvironmentError(
        `${path} is a directory, not a file`,
        'remove it (the state directory holds only files migrate wrote)',
      );
    throw problem(e, path, flags === 'r' ? 'read' : 'write');
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new EnvironmentError(
      `${path} ${st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file'}`,
      'remove it (the state directory holds only files migrate wrote)',
    );
  }
  // A second name is a door to another file, like a symlink: appends and the tail repair would reach it.
  // Reads may see two names: a lock is linked into place from its temp file, which is then removed.
  if (flags !== 'r' && st.nlink > 1) {
    closeSync(fd);
    throw new EnvironmentError(
      `${path} has ${st.nlink} hard links; migrate does not write a state file that has another name`,
      'remove the link (the state directory holds only files migrate wrote)',
    );
  }
  if (truncate) ftruncateSync(fd, 0);
  return fd;
}

/** A state file's text, null when it does not exist; never through a symlink. */
export function readRegular(path: string): string | null {
  let fd: number;
  try {
    fd = openPrivate(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, size - n, n);
      if (got <= 0) break;
      n += got;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Whether a path is a regular file (not following a symlink). */
export function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** Filesystems where root passes access(W_OK) and still can create nothing: /proc, /sys. */
const PSEUDO_FS: Record<number, string> = { 0x9fa0: 'procfs', 0x62656572: 'sysfs' };

/**
 * Why a run could not write its journal in `dir`, or null (`plan` reports it
 * as a blocker). As a run would: the journal if it exists, else the state
 * dir, else the nearest directory above it that exists, must be writable and
 * reachable (not a symlink to nothing, not on /proc or /sys). Read-only mounts
 * and immutable files refuse root too.
 */
export function unwritable(dir: string): string | null {
  const journal = join(dir, 'journal.jsonl');
  for (const p of [journal, ...ancestors(resolve(dir))]) {
    try {
      lstatSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      return `${shown(p)} cannot be reached (${code}): the run could not journal`;
    }
    try {
      statSync(p);
    } catch {
      return `${shown(p)} is a symbolic link to ${shown(linkEnd(p))}, which does not exist: the run could not create its state directory`;
    }
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      return `${shown(p)} is not writable (${(e as NodeJS.ErrnoException).code}): the run could not journal`;
    }
    const fs = p === journal ? undefined : PSEUDO_FS[statfsSync(p).type];
    if (fs && p !== resolve(dir)) return `${shown(p)} is on ${fs}, where no state directory can be created`;
    return null;
  }
  return null;
}

function* ancestors(p: string): Generator<string> {
  for (;;) {
    yield p;
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}
