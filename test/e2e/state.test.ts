// Where state lives (beside the runbook, or the runbook's declared journal) and how it is protected on disk.
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, tempDir } from '../helpers/cli.js';
import { freshDatabase, sql } from '../helpers/pg.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

const one = runbook(
  `  - id: 1\n    name: s1\n    steps:\n      - run: echo do >> log\n        undo: echo undo >> log\n`,
);

describe('where state lives', () => {
  it('the state dir is .migrate beside the runbook, whatever the current directory', () => {
    const box = sandbox(one);
    const sub = join(box.dir, 'sub');
    mkdirSync(sub);
    expect(migrate(['-r', '../migrate.yaml', 'stage', '1'], { cwd: sub }).code).toBe(0);
    expect(box.exists('.migrate/journal.jsonl')).toBe(true);
    expect(existsSync(join(sub, '.migrate'))).toBe(false);
    const elsewhere = tempDir();
    const s = JSON.parse(migrate(['-r', join(box.dir, 'migrate.yaml'), 'status', '--json'], { cwd: elsewhere }).stdout);
    expect(s).toMatchObject({
      current_stage: 1,
      journal: { kind: 'file', location: join(box.dir, '.migrate/journal.jsonl'), exists: true },
    });
  });

  it('a symlink to the runbook meets the same state and runs in the real runbook directory', () => {
    // Two operators reaching one runbook through different paths must share one lock and one journal.
    const box = sandbox(one);
    const other = tempDir();
    symlinkSync(join(box.dir, 'migrate.yaml'), join(other, 'rb.yaml'));
    expect(migrate(['-r', 'rb.yaml', 'stage', '1'], { cwd: other }).code).toBe(0);
    expect(existsSync(join(other, '.migrate'))).toBe(false);
    expect(box.lines('log')).toEqual(['do']);
    expect(box.status()).toMatchObject({ current_stage: 1 });
  });

  it('status says clearly when no journal exists yet, and which journal it read', () => {
    const box = sandbox(one);
    const fresh = box.run(['status']);
    expect(fresh.stdout).toContain(`no journal yet at ${join(box.dir, '.migrate/journal.jsonl')}`);
    box.run(['stage', '1']);
    expect(box.run(['status']).stdout).toContain(
      `journal: ${join(box.dir, '.migrate/journal.jsonl')} (beside the runbook)`,
    );
  });

  it('a runbook that declares its journal uses it without --journal', async () => {
    const url = await freshDatabase();
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps:\n      - run: echo do >> log\n        undo: echo undo >> log\n`,
        'journal: ${team_journal}\nvars:\n  team_journal: { env: TEAM_JOURNAL, secret: true }\n',
      ),
    );
    const env = { TEAM_JOURNAL: url };
    expect(box.run(['validate', 'migrate.yaml'], env).code).toBe(0);
    const r = box.run(['stage', '1'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(box.exists('.migrate/journal.jsonl')).toBe(false);
    expect(
      (await sql(url, "SELECT count(*)::int AS n FROM migrate_journal WHERE event = 'stage.completed'"))[0]?.n,
    ).toBe(1);
    const s = JSON.parse(box.run(['status', '--json'], env).stdout);
    expect(s).toMatchObject({ current_stage: 1, journal: { kind: 'postgres', source: "the runbook's journal:" } });
    expect(s.journal.location).toMatch(/^postgres(ql)?:\/\/(\*\*\*@)?[^:@]+(:\d+)?\//); // no password
    // Without the variable there is no silent fallback to a private file journal.
    const missing = box.run(['stage', '1']);
    expect(missing.code).toBe(2);
    expect(box.exists('.migrate/journal.jsonl')).toBe(false);
  });

  it('status on a runbook that declares a journal but is not valid YAML: a located error, exit 2', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: s1\n    steps: [{ run: "true" }\n`, 'journal: postgres://db/x\n'),
    );
    const r = box.run(['status']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+: .*flow collection/);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('validate refuses a journal that is not a postgres:// URL', () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    steps: [{ run: "true" }]\n`,
        'journal: mysql://db/x\n',
      ),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('journal-url');
  });
});

describe('state on disk', () => {
  it('creates the state dir 0700 and its files 0600', () => {
    const box = sandbox(
      runbook(`  - id: 1\n    name: s1\n    steps:\n      - { id: f, flag: { name: x, value: true } }\n`),
    );
    expect(box.run(['stage', '1']).code).toBe(0);
    const mode = (f: string) => statSync(join(box.dir, f)).mode & 0o777;
    expect(mode('.migrate')).toBe(0o700);
    for (const f of ['.migrate/journal.jsonl', '.migrate/flags.json', '.migrate/snapshot.json'])
      expect(mode(f), f).toBe(0o600);
  });

  it('refuses a symlinked journal: nothing is appended to (or truncated in) its target', () => {
    const box = sandbox(one);
    const dir = box.stateDir();
    const target = join(tempDir(), 'precious.txt');
    writeFileSync(target, 'keep me\nno newline at the end');
    symlinkSync(target, join(dir, 'journal.jsonl'));
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('is a symbolic link');
    expect(readFileSync(target, 'utf8')).toBe('keep me\nno newline at the end');
    expect(box.exists('log')).toBe(false);
  });

  it('refuses a hard-linked journal before writing: its other name is left as it was (exit 6)', () => {
    const box = sandbox(one);
    const dir = box.stateDir();
    const target = join(box.dir, 'precious.txt');
    writeFileSync(target, '', { mode: 0o600 });
    linkSync(target, join(dir, 'journal.jsonl'));
    const r = box.run(['stage', '1']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/journal\.jsonl has 2 hard links/);
    expect(readFileSync(target, 'utf8')).toBe('');
    expect(box.exists('log')).toBe(false);
  });

  it('refuses a state dir writable by others, or owned by someone else (exit 6)', () => {
    const box = sandbox(one);
    const dir = box.stateDir();
    chmodSync(dir, 0o777);
    const open = box.run(['stage', '1']);
    expect(open.code).toBe(6);
    expect(open.stderr).toMatch(/writable by group or others \(mode 0777\)/);
    chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) {
      chownSync(dir, 4242, 4242);
      const theirs = box.run(['stage', '1']);
      expect(theirs.code).toBe(6);
      expect(theirs.stderr).toContain('belongs to uid 4242');
    }
    expect(box.exists('log')).toBe(false);
  });

  it('init never writes through a symlink, even a dangling one', () => {
    const dir = tempDir();
    const target = join(tempDir(), 'elsewhere.yaml');
    symlinkSync(target, join(dir, 'migrate.yaml'));
    const r = migrate(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
    expect(migrate(['init', '--force'], { cwd: dir }).code).toBe(2);
    expect(existsSync(target)).toBe(false);
  });
});
