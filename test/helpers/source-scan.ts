/**
 * What the source itself says, read with the TypeScript parser: the fields
 * each journal event is recorded with, and the diagnostic codes rules emit.
 * The docs tests compare these with docs/*.md, so a new event field or code
 * cannot ship undocumented.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './cli.js';

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

const eventMember = (n: ts.Node): string | null =>
  ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'EventName'
    ? n.name.text
    : null;

function literalKeys(obj: ts.ObjectLiteralExpression): string[] {
  const keys: string[] = [];
  for (const p of obj.properties) {
    if (
      (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
    )
      keys.push(p.name.text);
  }
  return keys;
}

/**
 * Fields per EventName member (by member name, e.g. StepStarted): the keys of
 * object literals passed with `EventName.X` to a call (record(ctx, EventName.X, {...})),
 * or of an object literal / type literal that has `event: EventName.X`.
 */
export function eventFields(dirs = ['src']): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (member: string, keys: string[]) => {
    const set = out.get(member) ?? new Set<string>();
    keys.filter((k) => k !== 'event').forEach((k) => set.add(k));
    out.set(member, set);
  };
  for (const file of dirs.flatMap(sourceFiles)) {
    walk(parse(file), (n) => {
      if (ts.isCallExpression(n)) {
        const member = n.arguments.map(eventMember).find(Boolean);
        if (member) n.arguments.filter(ts.isObjectLiteralExpression).forEach((o) => add(member, literalKeys(o)));
      }
      if (ts.isObjectLiteralExpression(n)) {
        const ev = n.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === 'event');
        const member = ev && ts.isPropertyAssignment(ev) ? eventMember(ev.initializer) : null;
        if (member) add(member, literalKeys(n));
      }
      if (ts.isInterfaceDeclaration(n) || ts.isTypeLiteralNode(n)) {
        const ev = n.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === 'event');
        const t = ev && ts.isPropertySignature(ev) ? ev.type : undefined;
        const member =
          t && ts.isTypeReferenceNode(t) && ts.isQualifiedName(t.typeName) && t.typeName.left.getText() === 'EventName'
            ? t.typeName.right.text
            : null;
        if (member)
          add(
            member,
            n.members.filter(ts.isPropertySignature).map((m) => m.name.getText()),
          );
      }
    });
  }
  return out;
}
