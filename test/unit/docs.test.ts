/**
 * The reference docs stand on their own and cannot drift: generated files are
 * up to date, every schema field is described, every diagnostic and lint code
 * and every journal event (with every field it is recorded with) is documented,
 * and links stay inside the repository.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, migrate, tempDir } from '../helpers/cli.js';
import { runbook, sandbox } from '../helpers/sandbox.js';
import { eventFields, sourceFiles } from '../helpers/source-scan.js';

const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');
const headings = (text: string, level: string) =>
  new Set([...text.matchAll(new RegExp(`^${level} (\\S+)$`, 'gm'))].map(([, heading = '']) => heading));

/** The body of one `### name` section: up to the next heading. */
function section(text: string, name: string): string {
  const start = text.indexOf(`\n### ${name}\n`);
  if (start < 0) return '';
  const rest = text.slice(start + 1);
  const end = rest.slice(4).search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end + 4);
}

/** Codes rules emit: error(path, 'code', ...), warning(...), code: '...', 'x-code': '...'. */
function emittedCodes(files: string[]): Set<string> {
  const codes = new Set<string>();
  for (const f of files) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const [, code = ''] of text.matchAll(/\b(?:error|warning)\(\s*(?:\[[^\]]*\]|[^,()]+),\s*'([a-z0-9-]+)'/g))
      codes.add(code);
    for (const [, code = ''] of text.matchAll(/'x-code': *'([a-z0-9-]+)'/g)) codes.add(code);
    for (const [, value = ''] of text.matchAll(/\bcode: ([^,}\n]+)/g)) {
      for (const [, code = ''] of value.matchAll(/'([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]+)'/g)) codes.add(code);
    }
  }
  return codes;
}

describe('generated docs', () => {
  it('docs/runbook.md and docs/lint.md are what the generator writes now', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-docs.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr + r.stdout, 'run `npm run docs` and commit the result').toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  // The build rewrites stale files, so the check above compares a regenerated file with itself
  // in CI; scripts/check-committed-docs.sh (run by .ci/run after npm ci) compares with the commit.
  const git = (cwd: string, ...args: string[]) =>
    spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  it.skipIf(git(ROOT, 'rev-parse', '--is-inside-work-tree').status !== 0)(
    'a committed stale doc or schema fails the CI check, even after the build regenerated it',
    () => {
      const dir = join(tempDir('migrate-docs-'), 'repo');
      expect(git(ROOT, 'clone', '--quiet', '--no-hardlinks', ROOT, dir).status).toBe(0);
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const ci = () =>
        spawnSync('bash', [join(dir, 'scripts', 'check-committed-docs.sh')], { cwd: dir, encoding: 'utf8' });
      expect(readFileSync(join(dir, '.ci', 'run'), 'utf8')).toMatch(
        /^npm ci\n(#.*\n)*scripts\/check-committed-docs\.sh$/m,
      );
      const build = () =>
        spawnSync(process.execPath, ['scripts/gen-docs.js', '--lenient'], { cwd: dir, encoding: 'utf8' });
      expect(build().status).toBe(0);
      expect(ci().status, 'a fresh clone passes').toBe(0);
      for (const file of ['docs/runbook.md', 'docs/lint.md', 'schema/runbook.schema.json']) {
        appendFileSync(join(dir, file), '\nstale\n');
        expect(git(dir, 'commit', '-qam', `stale ${file}`).status).toBe(0);
        expect(build().status).toBe(0);
        const r = ci();
        expect(r.status, `${file}: ${r.stdout}${r.stderr}`).toBe(1);
        expect(r.stdout + r.stderr).toContain(file);
        expect(git(dir, 'commit', '-qam', `fresh ${file}`).status).toBe(0);
      }
    },
    120_000,
  );

  it('every field of the runbook schema has a description', async () => {
    const { runbookSchema } = await import('../../src/runbook/schema.js');
    const missing: string[] = [];
    const seen = new Set<object>();
    type Node = {
      description?: string;
      properties?: Record<string, Node>;
      items?: Node;
      additionalProperties?: Node | boolean;
      oneOf?: Node[];
    };
    const visit = (s: Node | boolean | undefined, path: string) => {
      if (!s || typeof s !== 'object' || seen.has(s)) return;
      seen.add(s);
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (!v.description) missing.push(`${path}${k}`);
        visit(v, `${path}${k}.`);
      }
      for (const key of ['items', 'additionalProperties'] as const)
        visit(s[key], `${path}${key === 'items' ? '[]' : '<name>'}.`);
      for (const o of s.oneOf ?? []) visit(o, path);
    };
    visit(runbookSchema as Node, '');
    for (const [name, d] of Object.entries(runbookSchema.definitions)) visit(d, `${name}.`);
    expect(missing, 'schema fields without a description (docs/runbook.md shows it)').toEqual([]);
  });
});

describe('diagnostics and lint codes', () => {
  const lintDocs = headings(doc('lint.md'), '##');
  const diagDocs = headings(doc('diagnostics.md'), '###');
  const lintSources = sourceFiles('src/pg');
  // In the rules file every kebab-case literal is a code (single words only as `code: '...'`).
  // Every rule code is listed once in lint-config.ts (safety, policy, hygiene).
  const rulesText = readFileSync(join(ROOT, 'src/pg/lint-config.ts'), 'utf8');
  const ruleCodes = [
    ...emittedCodes(['src/pg/lint-rules.ts']),
    ...[...rulesText.matchAll(/'([a-z]+(?:-[a-z]+)*)'/g)].map((m) => m[1]),
  ];
  const lintRuleCodes = new Set(ruleCodes.map((c) => `sql-${c}`));
  const codes = emittedCodes(sourceFiles('src').filter((f) => f !== 'src/pg/lint-rules.ts'));

  it('every lint code the rules can raise is documented in docs/lint.md, and nothing else is', () => {
    const sqlCodes = new Set([...lintRuleCodes, ...[...emittedCodes(lintSources)].filter((c) => c.startsWith('sql-'))]);
    expect(
      [...sqlCodes].filter((c) => !lintDocs.has(c)),
      'lint codes missing from docs/lint.md (scripts/docs/lint-examples.js)',
    ).toEqual([]);
    expect(
      [...lintDocs].filter((c) => !sqlCodes.has(c)),
      'docs/lint.md documents codes no rule raises',
    ).toEqual([]);
  });

  it('every diagnostic code the source emits is documented in docs/diagnostics.md, and nothing else is', () => {
    const diag = [...codes].filter(
      (c) => !c.startsWith('sql-') && !c.startsWith('yaml-') && !lintRuleCodes.has(`sql-${c}`),
    );
    expect(
      diag.filter((c) => !diagDocs.has(c)),
      'codes missing from docs/diagnostics.md',
    ).toEqual([]);
    expect(
      [...diagDocs].filter((c) => c !== 'yaml-*' && !codes.has(c)),
      'docs/diagnostics.md documents codes nothing emits',
    ).toEqual([]);
  });

  it('every code the invalid-runbook corpus produces is documented', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'invalid');
    const seen = new Set<string>();
    const files = readdirSync(dir)
      .filter((x) => x.endsWith('.yaml'))
      .map((f) => join(dir, f));
    const r = migrate(['validate', '--format', 'json', ...files]);
    for (const d of JSON.parse(r.stdout) as { code: string }[]) seen.add(d.code);
    expect(seen.size).toBeGreaterThan(10);
    const undocumented = [...seen].filter(
      (c) => !(diagDocs.has(c) || lintDocs.has(c) || (c.startsWith('yaml-') && diagDocs.has('yaml-*'))),
    );
    expect(undocumented).toEqual([]);
  }, 60_000);
});

describe('events', () => {
  const text = doc('events.md');
  const documented = headings(text, '###');

  it('docs/events.md has a section for every event in src/journal/events.ts, and no other', async () => {
    const { EVENT_NAMES } = await import('../../src/journal/events.js');
    expect(
      EVENT_NAMES.filter((e: string) => !documented.has(e)),
      'events missing from docs/events.md',
    ).toEqual([]);
    expect(
      [...documented].filter((e) => !EVENT_NAMES.includes(e)),
      'docs/events.md documents events that do not exist',
    ).toEqual([]);
  });

  it("every field the source records an event with is in that event's table", async () => {
    const { EventName } = await import('../../src/journal/events.js');
    const missing: string[] = [];
    for (const [member, fields] of eventFields()) {
      const name = (EventName as Record<string, string>)[member] ?? member;
      const body = section(text, name);
      for (const f of fields) if (!COMMON.has(f) && !body.includes(`| \`${f}\` |`)) missing.push(`${name}.${f}`);
    }
    expect(missing, 'event fields missing from docs/events.md').toEqual([]);
  });

  it('every field of a real journal is documented (stages, a canary breach, rollbacks, an emergency)', () => {
    const box = sandbox(
      runbook(
        [
          '  - id: 1',
          '    name: one',
          '    confirm: go?',
          '    preflight: [{ name: up, command: "true" }]',
          '    steps:',
          '      - { id: a, run: "echo a", undo: "echo undo a" }',
          '      - { id: skip, run: "true", when: "false" }',
          '      - { id: f, flag: { name: feature, value: true } }',
          '    monitor: { duration: 600ms, interval: 200ms, checks: [{ name: n, command: "echo 3", baseline: true, expect: "value <= baseline" }] }',
          '    verify: [{ name: v, command: "echo 1", expect: "value == 1" }]',
          '  - id: 2',
          '    name: two',
          '    steps: [{ id: b, run: "true", undo: "true" }]',
          '    canary: { weights: [50, 100], hold: 600ms, interval: 200ms, set: { run: "echo ${weight}", undo: "true" },',
          '              checks: [{ name: bad, command: "echo 9", expect: "value < 5" }] }',
        ].join('\n') + '\n',
      ),
    );
    expect(box.run(['stage', '1', '--yes']).code).toBe(0);
    expect(box.run(['stage', '2', '--yes']).code).toBe(1);
    expect(box.run(['rollback', '--emergency', '--reason', 'drill', '--yes']).code).toBe(0);
    const missing = new Set<string>();
    for (const e of box.journal()) {
      const body = section(text, e.event);
      for (const f of Object.keys(e))
        if (!COMMON.has(f) && !body.includes(`| \`${f}\` |`)) missing.add(`${e.event}.${f}`);
    }
    expect([...missing], 'journal fields missing from docs/events.md').toEqual([]);
  }, 120_000);
});

const COMMON = new Set(['ts', 'run_id', 'runbook', 'digest', 'event', 'operator']);

describe('links', () => {
  it('README.md and docs/*.md link only to files inside the repository that exist', () => {
    const files = [
      'README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const broken: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const [, link = ''] = m;
        const target = link.split('#')[0];
        if (!target || /^https?:/.test(target)) continue;
        const abs = join(ROOT, dirname(f), target);
        if (!abs.startsWith(ROOT) || !existsSync(abs)) broken.push(`${f} -> ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
