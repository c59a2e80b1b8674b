// Journal events are typed: record() is checked against each event's fields by the compiler
// (npm run typecheck fails on the @ts-expect-error lines below if a wrong call compiled),
// and the modules stay free of import loops.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { record, type RunContext } from '../../src/engine/context.js';
import { EventName } from '../../src/journal/events.js';
import { ROOT, tempDir } from '../helpers/cli.js';

// Never called: only compiled.
export async function wrongCallsDoNotCompile(ctx: RunContext): Promise<void> {
  await record(ctx, EventName.StageCompleted, { stage: 1 });
  // @ts-expect-error a misspelt field
  await record(ctx, EventName.StageCompleted, { stag: 1 });
  // @ts-expect-error a field of the wrong type
  await record(ctx, EventName.RollbackStep, { stage: 1, source: 'a', ok: 'yes' });
  // @ts-expect-error a missing field
  await record(ctx, EventName.StepStarted, { stage: 1, step: 'a', action: 'run' });
  // @ts-expect-error another event's fields
  await record(ctx, EventName.RunStarted, { stage: 1 });
}

/** Import loops among the given source files (relative imports, type-only ones too). */
export function importLoops(files: string[]): string[][] {
  const deps = new Map(
    files.map((f) => [
      f,
      [...readFileSync(f, 'utf8').matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)].map(
        (m) => resolve(dirname(f), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')),
      ),
    ]),
  );
  const loops: string[][] = [];
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (f: string) => {
    path.push(f);
    for (const d of deps.get(f) ?? []) {
      const at = path.indexOf(d);
      if (at >= 0) loops.push(path.slice(at).map((p) => relative(ROOT, p)));
      else if (!done.has(d)) visit(d);
    }
    path.pop();
    done.add(f);
  };
  for (const f of files) if (!done.has(f)) visit(f);
  return loops;
}

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));

describe('module shape', () => {
  it('src has no import loop (type-only imports count too)', () => {
    expect(importLoops(sources(join(ROOT, 'src')))).toEqual([]);
  });

  it('every error class a module exports is declared in src/errors.ts: one hierarchy, one place', () => {
    const strays = sources(join(ROOT, 'src'))
      .filter((f) => !f.endsWith('/errors.ts') && !f.endsWith('.d.ts'))
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/^export (?:abstract )?class (\w+) extends \w*Error\b/gm)].map(
          (m) => `${relative(ROOT, f)}: ${m[1]}`,
        ),
      );
    expect(strays).toEqual([]);
  });

  it('the loop finder sees a type-only loop', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    writeFileSync(join(dir, 'b.ts'), "export type B = import('./a.js').A;\n");
    expect(importLoops(sources(dir))).toHaveLength(1);
  });
});
