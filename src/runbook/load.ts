/**
 * Reading a runbook file: YAML with source positions, so every later
 * diagnostic can point at file:line:col.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic, Finding, Path } from './diagnostics.js';
import { normalizeSource, readRunbookText } from './read.js';
import { sourceOffset } from './scalar-offsets.js';
import { DEPTH_MESSAGE, LineIndex, MAX_YAML_DEPTH, parseYaml, type YamlNode } from './yaml.js';
import { NotUtf8, RunbookTooLarge } from '../errors.js';

export interface LoadedFile {
  file: string;
  /** The text offsets count in (normalizeSource: no BOM, lone CRs as \n). */
  source: string;
  /** sha256 of the file's text as read: the runbook digest the journal records. */
  digest: string;
  /** Where each value sits in the text. */
  root: YamlNode | null;
  lines: LineIndex;
  value: unknown;
  /** YAML warnings, located. */
  warnings: Diagnostic[];
}

export type LoadResult = { ok: true; loaded: LoadedFile } | { ok: false; diagnostics: Diagnostic[] };

/** `beforeParse` sees the text first (validate starts the SQL parser loading from it). */
export function loadRunbookFile(file: string, beforeParse?: (source: string) => void): LoadResult {
  const fail = (
    code: 'file-unreadable' | 'file-too-large' | 'file-encoding',
    message: string,
    at = { line: 1, column: 1 },
  ): LoadResult => ({
    ok: false,
    diagnostics: [{ file, ...at, severity: 'error', code, message }],
  });
  try {
    const source = readRunbookText(file);
    beforeParse?.(source);
    return loadRunbookSource(file, source);
  } catch (e) {
    if (e instanceof RunbookTooLarge) return fail('file-too-large', e.message);
    if (e instanceof NotUtf8) {
      const before = normalizeSource(e.before);
      return fail('file-encoding', e.message, new LineIndex(before).at(before.length));
    }
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return fail('file-unreadable', `cannot read runbook: ${reason}`);
  }
}

export function loadRunbookSource(file: string, raw: string): LoadResult {
  const source = normalizeSource(raw);
  const lines = new LineIndex(source);
  const parsed = parseYaml(source);
  if (!parsed.ok) {
    const { line, column } = lines.at(parsed.offset);
    const code = `yaml-${parsed.code}`;
    return { ok: false, diagnostics: [{ file, line, column, severity: 'error', code, message: parsed.message }] };
  }
  const { value, root } = parsed;
  if (value === null && (root === null || root.kind === 'empty')) {
    const message = 'the runbook is empty: expected a mapping with version, name and stages';
    return { ok: false, diagnostics: [{ file, line: 1, column: 1, severity: 'error', code: 'type', message }] };
  }
  // Aliases can nest what was shallow in the text; check the value too.
  const deepPath = deepValue(value);
  if (deepPath) {
    const { line, column } = lines.at(nodeAt(root, deepPath).node?.start ?? 0);
    const diagnostic = {
      file,
      line,
      column,
      severity: 'error',
      code: 'yaml-too-deep',
      message: DEPTH_MESSAGE,
    } as const;
    return { ok: false, diagnostics: [diagnostic] };
  }
  const digest = createHash('sha256').update(raw).digest('hex');
  return { ok: true, loaded: { file, source, digest, root, lines, value, warnings: [] } };
}

/** The path to the first value nested deeper than MAX_YAML_DEPTH (aliases included), or undefined. */
function deepValue(value: unknown): Path | undefined {
  // Each entry links to its parent: a path is built only for the one value found, not copied per value.
  type Entry = { v: unknown; key: string | number; depth: number; up: Entry | null };
  const stack: Entry[] = [{ v: value, key: '', depth: 0, up: null }];
  while (stack.length) {
    const e = stack.pop()!;
    if (!e.v || typeof e.v !== 'object') continue;
    if (e.depth >= MAX_YAML_DEPTH) {
      const path: Path = [];
      for (let x: Entry | null = e; x?.up; x = x.up) path.unshift(x.key);
      return path;
    }
    for (const [key, v] of Array.isArray(e.v) ? e.v.entries() : Object.entries(e.v))
      if (v && typeof v === 'object') stack.push({ v, key, depth: e.depth + 1, up: e });
  }
  return undefined;
}

/** The node at a path, or the nearest ancestor that has one (aliases and merges hide some). */
function nodeAt(root: YamlNode | null, path: Path): { node: YamlNode | null; keyNode?: YamlNode } {
  let node = root;
  let keyNode: YamlNode | undefined;
  let depth = 0;
  for (const seg of path) {
    const pair = node?.pairs?.get(String(seg));
    const item = typeof seg === 'number' ? node?.items?.[seg] : undefined;
    if (pair?.value) {
      keyNode = pair.key;
      node = pair.value;
    } else if (pair) {
      // A key with no value (`a:` is a value, `{a}` is not): the key is the place.
      keyNode = pair.key;
      node = pair.key;
    } else if (item) {
      keyNode = undefined;
      node = item;
    } else break;
    depth++;
  }
  return { node, keyNode: depth === path.length ? keyNode : undefined };
}

/** Map a character offset inside a scalar's value back to the source, block scalars included. */
function offsetInScalar(source: string, node: YamlNode, offset: number): number {
  const exact = sourceOffset(source, node, offset);
  if (exact !== null) return exact;
  const { start, end } = node;
  const value = String(node.result);
  if (node.style === 'double' || node.style === 'single') return start + 1 + offset;
  if (node.style === 'literal' || node.style === 'folded') {
    const before = value.slice(0, offset);
    const lineIndex = before.split('\n').length - 1;
    const column = before.length - (before.lastIndexOf('\n') + 1);
    // Content starts on the line after the indicator; find its indentation.
    let pos = source.indexOf('\n', start) + 1;
    const contentLines: number[] = [];
    while (pos > 0 && pos < end) {
      contentLines.push(pos);
      const nl = source.indexOf('\n', pos);
      if (nl < 0) break;
      pos = nl + 1;
    }
    const nonBlank = contentLines.filter(
      (p) => source.slice(p, source.indexOf('\n', p) < 0 ? undefined : source.indexOf('\n', p)).trim() !== '',
    );
    const indent = nonBlank.length ? /^ */.exec(source.slice(nonBlank[0]))![0].length : 0;
    const lineStart = contentLines[lineIndex] ?? contentLines[contentLines.length - 1] ?? start;
    return lineStart + indent + column;
  }
  return start + offset;
}

export function locate(loaded: LoadedFile, finding: Finding): Diagnostic {
  const { node, keyNode } = nodeAt(loaded.root, finding.path);
  const target = finding.atKey && keyNode ? keyNode : node;
  let offset = target?.start ?? 0;
  if (target && finding.offset !== undefined && target.kind === 'scalar')
    offset = offsetInScalar(loaded.source, target, finding.offset);
  const { line, column } = loaded.lines.at(offset);
  return { file: loaded.file, line, column, severity: finding.severity, code: finding.code, message: finding.message };
}
