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

function problem(e: unknown, path: string, doing: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
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

/** A state dir that is a symlink to nothing: refused, not created at the far end nor read as empty. */
function unreachable(dir: string): void {
  let target: string;
  try {
    if (!lstatSync(dir).isSymbolicLink()) return;
    target = readlinkSync(dir);
    statSync(dir);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || target! === undefined) return;
  }
  throw new EnvironmentError(
    `the state directory ${dir} is a symbolic link to ${target}, which does not exist`,
    `create ${target} (mode 0700), or point --state-dir at a directory that exists`,
  );
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

/**
 * Why a run could not write its journal in `dir`, or null (`plan` reports it
 * as a blocker): the journal, else the state dir, else the nearest directory
 * that exists above it, is not writable. Read-only mounts and immutable files
 * refuse root too.
 */
export function unwritable(dir: string): string | null {
  for (const p of [join(dir, 'journal.jsonl'), ...ancestors(resolve(dir))]) {
    try {
      accessSync(p, constants.W_OK);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      return `${p} is not writable (${code}): the run could not journal`;
    }
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
