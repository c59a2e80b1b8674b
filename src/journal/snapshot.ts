/**
 * The file journal's snapshot: the projections of the first `offset` bytes,
 * with a running line count and a hash of the bytes just before `offset`, so a
 * journal cut short or rewritten is noticed. Replaying the tail after it is the
 * hot path of every read: one streaming pass over the bytes, one JSON.parse per
 * line and nothing else per event (a 1M-event journal is read at about
 * 600k events/s: bench/speed.js).
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import {
  apply,
  decisionState,
  describeState,
  emptyProjection,
  reach,
  type LostState,
  type Projection,
} from './project.js';
import { openPrivate } from './statedir.js';
import { parseEvent } from './events.js';

export interface Snapshot {
  version: 1;
  /** Bytes of the journal the projections cover, and how many lines that is. */
  offset: number;
  lines: number;
  /** Hash of the last bytes before `offset`: a journal cut short or rewritten no longer matches. */
  tail: string;
  projections: Record<string, Projection>;
  /** What was wrong with the journal, for people (kept until the snapshot is deleted). */
  damage: string[];
  /**
   * Per runbook, what a read saw before the journal lost events that change a
   * rollback's decisions (kept until a restored journal settles it, or the
   * snapshot is deleted): no rollback acts on what is left.
   */
  lost?: Record<string, LostState>;
}

const TAIL_BYTES = 256;
/** Small enough that each chunk's string is a young-generation object, not a fresh 1 MiB large object to fault in. */
const CHUNK = 1 << 16;

export const emptySnapshot = (damage: string[] = []): Snapshot => ({
  version: 1,
  offset: 0,
  lines: 0,
  tail: '',
  projections: {},
  damage,
});

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isStageNo = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isSteps = (v: unknown) => Array.isArray(v) && v.every((c) => isObj(c) && typeof c.step === 'string');

/**
 * A stored projection has the shape decisions read: a hand-edited or damaged
 * one (`"active": 5`) is rebuilt from the journal, never acted on.
 */
function validProjection(p: unknown): boolean {
  if (!isObj(p)) return false;
  const { applied, active, dirty, rolling, groups, runs } = p;
  return (
    Array.isArray(applied) &&
    applied.every((a) => isObj(a) && isStageNo(a.stage) && typeof a.digest === 'string' && isStrings(a.completed)) &&
    (active === null ||
      (isObj(active) &&
        isStageNo(active.stage) &&
        isSteps(active.completed) &&
        isStrings(active.in_doubt) &&
        isObj(active.records) &&
        (active.canary === undefined ||
          (isObj(active.canary) &&
            typeof active.canary.weight === 'number' &&
            (active.canary.hold_ms === null || Number.isFinite(active.canary.hold_ms)))))) &&
    (dirty === null || (isObj(dirty) && isStageNo(dirty.stage) && isStrings(dirty.completed))) &&
    (rolling === null ||
      (isObj(rolling) && isStageNo(rolling.stage) && Number.isSafeInteger(rolling.to) && isStrings(rolling.undone))) &&
    Array.isArray(groups) &&
    groups.every((g) => isObj(g) && Number.isSafeInteger(g.pgid)) &&
    Array.isArray(runs) &&
    runs.every((r) => isObj(r) && typeof r.run_id === 'string' && typeof r.command === 'string')
  );
}

export function validSnapshot(s: unknown): s is Snapshot {
  const o = s as Partial<Snapshot> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    o.version === 1 &&
    Number.isSafeInteger(o.offset) &&
    o.offset! >= 0 &&
    Number.isSafeInteger(o.lines) &&
    o.lines! >= 0 &&
    typeof o.tail === 'string' &&
    !!o.projections &&
    typeof o.projections === 'object' &&
    !Array.isArray(o.projections) &&
    Object.values(o.projections).every(validProjection) &&
    Array.isArray(o.damage) &&
    o.damage.every((d) => typeof d === 'string') &&
    (o.lost === undefined ||
      (!!o.lost &&
        typeof o.lost === 'object' &&
        Object.values(o.lost).every(
          (l) =>
            !!l &&
            Number.isSafeInteger(l.stage) &&
            Number.isSafeInteger(l.lines) &&
            typeof l.seen === 'string' &&
            typeof l.state === 'string',
        )))
  );
}

/**
 * Watches a replay for the decision states a loss is about: a journal that
 * reaches the state a read saw at the line that read ended on (restored,
 * perhaps with more after it) has not lost what that read saw. The same state
 * earlier (stage 1 applied, before a stage 2 that was later rolled back) does
 * not count. Costs a comparison only at those lines.
 */
export function passThrough(states: Map<string, { state: string; lines: number }>): {
  onLine: ((projections: Record<string, Projection>, line: number) => void) | undefined;
  passed: (runbook: string) => boolean;
} {
  const seen = new Set<string>();
  return {
    onLine: states.size
      ? (projections, line) => {
          for (const [name, want] of states)
            if (line === want.lines && !seen.has(name) && want.state === decisionState(projections[name]))
              seen.add(name);
        }
      : undefined,
    passed: (name) => seen.has(name),
  };
}

/** The states to watch a replay for: what `before` showed of each runbook, and losses on record. */
export function watchedStates(
  before: Snapshot | null,
  lost: Snapshot['lost'],
): Map<string, { state: string; lines: number }> {
  const states = new Map<string, { state: string; lines: number }>();
  for (const [name, p] of Object.entries(before?.projections ?? {}))
    states.set(name, { state: decisionState(p), lines: before!.lines });
  for (const [name, l] of Object.entries(lost ?? {})) states.set(name, { state: l.state, lines: l.lines });
  return states;
}

/**
 * After the journal lost what `before` covered and `after` was replayed from
 * what is left: per runbook whose decisions the loss changes (stages, steps
 * done, undos done), what `before` showed, unless the replay passed through it.
 * A loss on record stays as first seen. Losing a trailing run.finished records nothing.
 */
export function lostStates(
  before: Snapshot,
  after: Snapshot,
  passed: (runbook: string) => boolean,
): Record<string, LostState> {
  const lost: Record<string, LostState> = { ...before.lost };
  for (const [name, p] of Object.entries(before.projections)) {
    const state = decisionState(p);
    if (!lost[name] && !passed(name) && state !== decisionState(after.projections[name]))
      lost[name] = { stage: reach(p), seen: describeState(p), state, lines: before.lines };
  }
  return lost;
}

/** A loss whose state the journal passed through or shows (it was restored) is settled. Whether any was. */
export function settleLost(snap: Snapshot, passed: (runbook: string) => boolean = () => false): boolean {
  if (!snap.lost) return false;
  let settled = false;
  for (const [name, l] of Object.entries(snap.lost))
    if (passed(name) || decisionState(snap.projections[name]) === l.state) {
      delete snap.lost[name];
      settled = true;
    }
  if (!Object.keys(snap.lost).length) delete snap.lost;
  return settled;
}

export function tailHash(fd: number, offset: number): string {
  const len = Math.min(offset, TAIL_BYTES);
  const buf = Buffer.alloc(len);
  const n = len ? readSync(fd, buf, 0, len, offset - len) : 0;
  return createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 16);
}

/**
 * Apply the complete lines in [snap.offset, size) to the snapshot. Chunks end
 * at their last newline, so a multi-byte character or a line is never split;
 * a torn last line (no newline) is left out, and not covered by the offset.
 */
export function replayTail(
  fd: number,
  size: number,
  snap: Snapshot,
  path: string,
  onLine?: (projections: Record<string, Projection>, line: number) => void,
): void {
  let buf = Buffer.allocUnsafe(CHUNK);
  let offset = snap.offset;
  while (offset < size) {
    const want = Math.min(buf.length, size - offset);
    const n = readSync(fd, buf, 0, want, offset);
    if (n <= 0) break;
    const end = buf.lastIndexOf(0x0a, n - 1);
    if (end < 0) {
      if (offset + n >= size) break; // the torn last line
      buf = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
      continue;
    }
    // A journal is nearly all ASCII, and latin1 then decodes the same ~30x faster than utf8 (most of a replay's time).
    const bytes = buf.subarray(0, end + 1);
    applyText(snap, bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8'), path, onLine);
    offset += end + 1;
    snap.offset = offset;
  }
  snap.tail = tailHash(fd, snap.offset);
}

/** Lines that each end with a newline. */
function applyText(
  snap: Snapshot,
  text: string,
  path: string,
  onLine?: (projections: Record<string, Projection>, line: number) => void,
): void {
  const { projections } = snap;
  let from = 0;
  let last: Projection | undefined;
  for (let nl = text.indexOf('\n'); nl !== -1; from = nl + 1, nl = text.indexOf('\n', from)) {
    onLine?.(projections, snap.lines); // the state after the line before, whatever that line was
    const n = ++snap.lines;
    if (nl === from) continue;
    const line = text.slice(from, nl);
    // Blank lines are not damage; anything else that is not an event is named.
    if (line.charCodeAt(0) <= 0x20 && !line.trim()) continue;
    const e = parseEvent(line);
    if (typeof e === 'string') {
      snap.damage.push(`${path}:${n} is not an event (${e}): ignored`);
      continue;
    }
    // Nearly every event is the same runbook's as the one before.
    const p = last?.runbook === e.runbook ? last : (projections[e.runbook] ??= emptyProjection(e.runbook));
    apply(p, e);
    last = p;
  }
  onLine?.(projections, snap.lines);
}

/**
 * Replace the snapshot atomically: a temp file (0600, never through a link),
 * fsynced, then renamed over the old one. The temp file never outlives a failure.
 */
export function writeSnapshot(path: string, snap: Snapshot): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    try {
      unlinkSync(tmp);
    } catch {
      /* none left by a crash */
    }
    const fd = openPrivate(tmp, 'wx');
    try {
      writeSync(fd, JSON.stringify(snap));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never written */
    }
    throw e;
  }
}
