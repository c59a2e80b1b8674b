/**
 * YAML text -> value, plus where each value sits in the text. js-yaml parses
 * (5-20x faster than the `yaml` package, whose parse of a hostile 1 MiB file
 * took seconds); its listener reports every node as it opens and closes, and
 * that is where the node and alias limits stop a hostile file early, so the
 * work is bounded by MAX_YAML_NODES whatever the file's size.
 */
import { CORE_SCHEMA, load, types, YAMLException, type ListenerState } from 'js-yaml';
import { UsageError } from '../errors.js';
import { thousands } from './diagnostics.js';
import { normalizeSource } from './read.js';

/** How deep a runbook may nest; real ones use under a dozen levels. */
export const MAX_YAML_DEPTH = 64;
/** Values in one runbook, aliases expanded: a large real one has a few thousand. */
export const MAX_YAML_NODES = 20_000;
/** Characters aliases may add to the file's own: reusing a snippet is fine, copying a megabyte string a thousand times is not. */
export const MAX_ALIAS_CHARS = 1 << 20;

/** YAML 1.2's core schema, with merge keys (`<<: *defaults`). */
const SCHEMA = CORE_SCHEMA.extend({ implicit: [types.merge] });

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

/** One value's place in the text. `end` is exclusive; for a scalar it ends its text. */
export interface YamlNode {
  kind: 'map' | 'seq' | 'scalar' | 'alias' | 'empty';
  start: number;
  end: number;
  style?: ScalarStyle;
  /** The value this node became (what js-yaml built). */
  result: unknown;
  /** A mapping's pairs by key; absent when the text's shape could not be matched to the value. */
  pairs?: Map<string, { key: YamlNode; value: YamlNode | null }>;
  /** A sequence's items; absent as for pairs. */
  items?: YamlNode[];
}

export type YamlResult =
  { ok: true; value: unknown; root: YamlNode | null } | { ok: false; offset: number; code: string; message: string };

/** The text's one document, or its first error (the code is the `yaml-*` diagnostic's suffix); `source` is normalized. */
export function parseYaml(source: string): YamlResult {
  const tree = new TreeBuilder(source);
  try {
    // An empty file, or one of comments only, is no value at all: null, as `~` would be.
    const value = load(source, { schema: SCHEMA, maxDepth: MAX_YAML_DEPTH + 1, listener: tree.listener }) ?? null;
    return { ok: true, value, root: tree.root };
  } catch (e) {
    if (e instanceof LimitError) return { ok: false, offset: e.offset, code: e.code, message: e.message };
    if (e instanceof YAMLException) {
      const reason = e.reason ?? e.message;
      const code = CODES.find(([re]) => re.test(reason))?.[1] ?? 'syntax';
      // js-yaml quotes the text it read, whole: a 900 KB tag would be a 900 KB message.
      const message = MESSAGES[code]?.(reason) ?? (reason.length > 200 ? `${reason.slice(0, 200)}…` : reason);
      let offset = e.mark?.position ?? 0;
      // js-yaml marks the end of an unknown alias's name; point at its `*`.
      if (code === 'alias') offset = Math.max(0, source.lastIndexOf('*', offset));
      if (code === 'multiple-docs') offset = secondDocument(source) ?? offset;
      // A merge list that is too long is marked at its end; point at its `<<`.
      if (code === 'merge' && /abnormal/.test(reason)) offset = Math.max(0, source.lastIndexOf('<<', offset));
      return { ok: false, offset, code, message };
    }
    throw e;
  }
}

/** The value only, for code that needs no positions (what a runbook declares before it is validated). */
export function parseYamlValue(source: string, file: string): unknown {
  const text = normalizeSource(source);
  const r = parseYaml(text);
  if (r.ok) return r.value;
  const { line, column } = new LineIndex(text).at(r.offset);
  throw new UsageError(`${file}:${line}:${column}: ${r.message}`, `run 'migrate validate ${file}'`);
}

export const DEPTH_MESSAGE = `nested more than ${MAX_YAML_DEPTH} levels deep; a runbook needs a handful`;
const KEY_MESSAGE = 'a key must be a plain string, not a list, a mapping or an alias';
const CHARS_MESSAGE = 'aliases expand to more than 1 MiB of text beyond the file; a runbook needs a few KB';
const NODES_MESSAGE = `more than ${thousands(MAX_YAML_NODES)} values (aliases expanded); a runbook needs a few hundred`;

/** Ours where js-yaml's names its own options. */
const MESSAGES: Record<string, (reason: string) => string | undefined> = {
  'too-deep': () => DEPTH_MESSAGE,
  merge: (reason) =>
    /exceeded/.test(reason)
      ? 'merge keys (<<) copy more than 10,000 keys in all; a runbook needs a few'
      : /abnormal/.test(reason)
        ? 'a merge key (<<) lists more than 100 mappings; a runbook needs a few'
        : undefined,
};

/** js-yaml's reasons -> our codes; the rest are `yaml-syntax`. */
const CODES: [RegExp, string][] = [
  [/^duplicated mapping key/, 'duplicate-key'],
  [/^bad indentation/, 'bad-indent'],
  [/^tab characters/, 'tab-as-indent'],
  [/^unidentified alias/, 'alias'],
  [/^nesting exceeded maxDepth/, 'too-deep'],
  [/^expected a single document/, 'multiple-docs'],
  [/^(unknown tag|cannot resolve a node)/, 'tag'],
  [/^merge keys exceeded|cannot merge|abnormal merge/, 'merge'],
];

class LimitError extends Error {
  constructor(
    readonly offset: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Frame {
  open: number;
  children: YamlNode[];
  /** Values under this one, aliases expanded. */
  weight: number;
  /** Characters of the strings under this one, aliases expanded. */
  chars: number;
}

class TreeBuilder {
  root: YamlNode | null = null;
  private readonly stack: Frame[] = [];
  /** What each anchored collection weighs, by the value itself: an alias's text can hide its name (a comment after it, an odd character in it), its value cannot. */
  private readonly anchorWeights = new Map<object, number>();
  /** The same for characters: one alias of a 900 KB string is one value, but 900 KB for whatever reads it. */
  private readonly anchorChars = new Map<object, number>();
  /** Characters that aliases added to the file's own. */
  private expanded = 0;
  private opened = 0;

  constructor(private readonly src: string) {}

  readonly listener = (event: 'open' | 'close', state: ListenerState): void => {
    if (event === 'open') {
      // Counted as it opens, so a huge file stops here, not after it is all parsed.
      if (++this.opened > MAX_YAML_NODES) throw new LimitError(state.position, 'too-large', NODES_MESSAGE);
      this.stack.push({ open: state.position, children: [], weight: 0, chars: 0 });
      return;
    }
    const frame = this.stack.pop()!;
    // Some places (an explicit key's value, a sequence entry) open a node around the node itself: one node, not two.
    const only = frame.children.length === 1 ? frame.children[0]! : undefined;
    const wrapper = only !== undefined && Object.is(only.result, state.result);
    const node = wrapper ? only : this.node(frame, state);
    let weight = wrapper ? frame.weight : 1 + frame.weight;
    let chars = typeof state.result === 'string' && !wrapper ? state.result.length : frame.chars;
    if (node.kind === 'alias') {
      weight = isObject(node.result) ? this.aliasWeight(node.result) : 1;
      chars = isObject(node.result) ? (this.anchorChars.get(node.result) ?? 0) : String(node.result ?? '').length;
      this.expanded += chars;
      if (this.expanded > MAX_ALIAS_CHARS) throw new LimitError(node.start, 'alias', CHARS_MESSAGE);
    }
    if (state.anchor && isObject(state.result)) {
      this.anchorWeights.set(state.result, weight);
      this.anchorChars.set(state.result, chars);
    }
    if (weight > MAX_YAML_NODES) {
      const at = node.kind === 'alias' ? node : (frame.children[frame.children.length - 1] ?? node);
      throw new LimitError(at.start, 'alias', NODES_MESSAGE);
    }
    const parent = this.stack[this.stack.length - 1];
    if (parent) {
      parent.children.push(node);
      parent.weight += weight;
      parent.chars += chars;
    } else this.root = node;
  };

  /** An anchored value's weight; counted (up to the limit) should the anchor not have been seen closing. */
  private aliasWeight(value: object): number {
    const known = this.anchorWeights.get(value);
    if (known !== undefined) return known;
    let n = 0;
    const stack: unknown[] = [value];
    while (stack.length && n <= MAX_YAML_NODES) {
      const v = stack.pop();
      n++;
      if (isObject(v)) stack.push(...Object.values(v));
    }
    return n;
  }

  private node(frame: Frame, state: ListenerState): YamlNode {
    const src = this.src;
    const result = state.result;
    if (state.kind === null && result === null) return { kind: 'empty', start: frame.open, end: frame.open, result };
    const start = contentStart(src, frame.open, state.position);
    const end = state.position;
    if (src.charCodeAt(start) === 0x2a /* * */) return { kind: 'alias', start, end: aliasEnd(src, start), result };
    if (state.kind === 'mapping') return { kind: 'map', start, end, result, pairs: this.pairs(frame.children, result) };
    if (state.kind === 'sequence') {
      const ok = Array.isArray(result) && result.length === frame.children.length;
      return { kind: 'seq', start, end, result, items: ok ? frame.children : undefined };
    }
    const style = STYLES[src.charAt(start)] ?? 'plain';
    const scalarEnd = style === 'plain' ? trimEnd(src, start, end) : end;
    return { kind: 'scalar', start, end: scalarEnd, style, result };
  }

  /** Keys and values alternate, except that a key with no `:` after it (`{a, b: 1}`, `? a`) has no value node. */
  private pairs(children: YamlNode[], result: unknown): YamlNode['pairs'] {
    const pairs = new Map<string, { key: YamlNode; value: YamlNode | null }>();
    for (let i = 0; i < children.length;) {
      const key = children[i++]!;
      const hasValue = this.src.charCodeAt(skipBlank(this.src, key.end)) === 0x3a; /* : */
      const value = hasValue ? (children[i++] ?? null) : null;
      // js-yaml would make `[a, b]` the key 'a,b' and `{a: 1}` '[object Object]': no runbook key is either.
      if ((key.kind !== 'scalar' && key.kind !== 'empty') || isObject(key.result))
        throw new LimitError(key.start, 'key', KEY_MESSAGE);
      const name = String(key.result ?? 'null');
      if (name !== '<<') pairs.set(name, { key, value });
    }
    // Matched only if every key is in the value: a mismatch locates at the mapping instead of at a wrong key.
    const record = result as Record<string, unknown> | null;
    for (const name of pairs.keys()) if (!record || !Object.hasOwn(record, name)) return undefined;
    return pairs;
  }
}

const STYLES: Record<string, ScalarStyle> = { "'": 'single', '"': 'double', '|': 'literal', '>': 'folded' };

/**
 * Where a second document starts: its `---`, or what follows a `...` that
 * ended the first (the first one's own `---`, after any directives, does not count).
 */
function secondDocument(src: string): number | undefined {
  let first = skipBlank(src, 0);
  while (src.charCodeAt(first) === 0x25 /* % */) first = skipBlank(src, lineEnd(src, first));
  for (const m of src.matchAll(/^(---|\.\.\.)(?=\s|$)/gm)) {
    if (m.index <= first) continue;
    if (m[1] === '---') return m.index;
    const next = skipBlank(src, m.index + 3);
    if (next < src.length) return next;
  }
  return undefined;
}

function lineEnd(src: string, i: number): number {
  const nl = src.indexOf('\n', i);
  return nl < 0 ? src.length : nl;
}

/** Past spaces, line breaks and comments. */
function skipBlank(src: string, i: number): number {
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x23 /* # */) i = lineEnd(src, i);
    else return i;
  }
}

/** Where a node's content starts: past blanks, comments and its tag and anchor (`!!str`, `&x`). */
function contentStart(src: string, from: number, limit: number): number {
  let i = skipBlank(src, from);
  let prop = -1;
  while (i < limit && (src[i] === '!' || src[i] === '&')) {
    prop = i;
    while (i < limit && !nameEnds(src, i)) i++;
    i = skipBlank(src, i);
  }
  // A node that is only its tag or anchor (`? !!map`) is where they are, not where the next thing starts.
  return i >= limit && prop >= 0 ? prop : Math.min(i, limit);
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** YAML's white space and line breaks: not JavaScript's \s, which takes in U+00A0 and U+3000, legal in names. */
const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function trimEnd(src: string, start: number, end: number): number {
  while (end > start && isBlank(src.charCodeAt(end - 1))) end--;
  return end;
}

/** An alias's name ends where js-yaml's does, at a blank or a flow indicator: what follows (a comment) is not the alias. */
function aliasEnd(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length && !nameEnds(src, i)) i++;
  return i;
}

/** Where an anchor, tag or alias name stops. */
const nameEnds = (src: string, i: number) => {
  const c = src.charCodeAt(i);
  return c === 0 || isBlank(c) || c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d; // , [ ] { }
};

/** 1-based line and column of offsets into one text. */
export class LineIndex {
  private starts: number[] | null = null;

  constructor(private readonly src: string) {}

  at(offset: number): { line: number; column: number } {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.src.indexOf('\n'); i >= 0; i = this.src.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
