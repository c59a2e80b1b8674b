/**
 * Reading a runbook file: YAML with source positions, so every later
 * diagnostic can point at file:line:col.
 */
import { createHash } from 'node:crypto';
import {
  Composer,
  CST,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  Scalar,
  visit,
  YAMLParseError,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic, Finding, Path } from './diagnostics.js';
import { readRunbookText, RunbookTooLarge } from './read.js';
import { sourceOffset } from './scalar-offsets.js';

export interface LoadedFile {
  file: string;
  source: string;
  /** sha256 of the file's bytes: the runbook digest the journal records. */
  digest: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** YAML warnings, located. */
  warnings: Diagnostic[];
}

export type LoadResult = { ok: true; loaded: LoadedFile } | { ok: false; diagnostics: Diagnostic[] };

/** `beforeParse` sees the text first (validate starts the SQL parser loading from it). */
export function loadRunbookFile(file: string, beforeParse?: (source: string) => void): LoadResult {
  const fail = (code: 'file-unreadable' | 'file-too-large', message: string): LoadResult => ({
    ok: false,
    diagnostics: [{ file, line: 1, column: 1, severity: 'error', code, message }],
  });
  try {
    const source = readRunbookText(file);
    beforeParse?.(source);
    return loadRunbookSource(file, source);
  } catch (e) {
    if (e instanceof RunbookTooLarge) return fail('file-too-large', e.message);
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return fail('file-unreadable', `cannot read runbook: ${reason}`);
  }
}

export function loadRunbookSource(file: string, source: string): LoadResult {
  const lines = new LineCounter();
  const at = (offset: number) => lines.linePos(offset);
  const tooDeep = (offset: number): LoadResult => {
    const { line, col } = at(offset);
    return {
      ok: false,
      diagnostics: [{ file, line, column: col, severity: 'error', code: 'yaml-too-deep', message: DEPTH_MESSAGE }],
    };
  };
  // Parse to tokens and check nesting before composing: composing (and every
  // later walk) recurses, and thousands of levels would overflow the stack.
  const tokens = [...new Parser(lines.addNewLine).parse(source)];
  for (const t of tokens) {
    const deep = deepCollection(t);
    if (deep !== undefined) return tooDeep(deep);
  }
  const doc = compose(tokens, source.length);
  const diagnostics: Diagnostic[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const { line, col } = at(e.pos[0]);
    diagnostics.push({
      file,
      line,
      column: col,
      severity: doc.errors.includes(e as never) ? 'error' : 'warning',
      code: `yaml-${e.code.toLowerCase().replace(/_/g, '-')}`,
      message: (e.message.split('\n', 1)[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''),
    });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // toJS fails on an alias with no anchor; point at that alias.
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        if (offset || node.resolve(doc)) return undefined; // keep looking
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = at(offset);
    return {
      ok: false,
      diagnostics: [
        ...diagnostics,
        { file, line, column: col, severity: 'error', code: 'yaml-alias', message: (e as Error).message },
      ],
    };
  }
  // Aliases can nest what was shallow in the text; check the value too.
  const deepPath = deepValue(value);
  if (deepPath) {
    const { node } = nodeAt(doc, deepPath);
    return tooDeep(node?.range?.[0] ?? 0);
  }
  const digest = createHash('sha256').update(source).digest('hex');
  return { ok: true, loaded: { file, source, digest, doc, lines, value, warnings: diagnostics } };
}

/** How deep a runbook may nest; real ones use under a dozen levels. */
export const MAX_YAML_DEPTH = 64;
const DEPTH_MESSAGE = `nested more than ${MAX_YAML_DEPTH} levels deep; a runbook needs a handful`;

const OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: true, strict: true } as const;

/** parseDocument, from tokens already parsed: one document (a second one is an error, as parseDocument says). */
function compose(tokens: CST.Token[], length: number): Document.Parsed {
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(OPTIONS).compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  return doc!;
}

/** The offset of the first collection nested deeper than MAX_YAML_DEPTH, found without recursion. */
function deepCollection(token: CST.Token): number | undefined {
  const stack: [CST.Token, number][] = [[token, 0]];
  while (stack.length) {
    const [t, depth] = stack.pop()!;
    if (t.type === 'document') {
      if (t.value) stack.push([t.value, depth]);
    } else if (CST.isCollection(t)) {
      if (depth >= MAX_YAML_DEPTH) return t.offset;
      for (const item of t.items) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** The path to the first value nested deeper than MAX_YAML_DEPTH (aliases included), or undefined. */
function deepValue(value: unknown): Path | undefined {
  const stack: [unknown, Path][] = [[value, []]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (path.length >= MAX_YAML_DEPTH) return path;
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) stack.push([child, [...path, k]]);
  }
  return undefined;
}

/** The node at a path, or the nearest ancestor that has one (aliases and merges hide some). */
function nodeAt(doc: Document.Parsed, path: Path): { node: Node | null; depth: number; keyNode?: Node } {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      keyNode = undefined;
      node = node.items[seg];
    } else break;
    depth++;
  }
  return { node: (node as Node) ?? null, depth, keyNode: depth === path.length ? keyNode : undefined };
}

/** Map a character offset inside a scalar's value back to the source, block scalars included. */
function offsetInScalar(source: string, node: Scalar, offset: number): number {
  const exact = sourceOffset(source, node, offset);
  if (exact !== null) return exact;
  const start = node.range?.[0] ?? 0;
  const value = String(node.value);
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return start + 1 + offset;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const before = value.slice(0, offset);
    const lineIndex = before.split('\n').length - 1;
    const column = before.length - (before.lastIndexOf('\n') + 1);
    // Content starts on the line after the indicator; find its indentation.
    let pos = source.indexOf('\n', start) + 1;
    const contentLines: number[] = [];
    while (pos > 0 && pos < (node.range?.[1] ?? source.length)) {
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
  const { node, keyNode } = nodeAt(loaded.doc, finding.path);
  let offset = 0;
  const target = finding.atKey && keyNode ? keyNode : node;
  if (target?.range) {
    offset = target.range[0];
    if (finding.offset !== undefined && isScalar(target))
      offset = offsetInScalar(loaded.source, target, finding.offset);
  }
  const { line, col } = loaded.lines.linePos(offset);
  return {
    file: loaded.file,
    line,
    column: col,
    severity: finding.severity,
    code: finding.code,
    message: finding.message,
  };
}
