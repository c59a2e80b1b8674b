// The built binary, driven as operators and CI drive it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, ROOT, tempDir } from '../helpers/cli.js';

const fixture = (f: string) => join(ROOT, 'test/fixtures/invalid', f);

describe('validate', () => {
  it('passes the shipped runbooks (default: runbooks/*.yaml)', () => {
    const r = migrate(['validate', '--strict']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/✓/g)).toHaveLength(5);
  });

  it('reports a located error and exits 2, without a stack trace', () => {
    const r = migrate(['validate', fixture('unknown-key.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${fixture('unknown-key.yaml')}:8:9 error unknown-key`);
    expect(r.stdout).toContain("did you mean 'needs'?");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)/);
  });

  it('json format is an array of diagnostics', () => {
    const r = migrate(['validate', fixture('needs-cycle.yaml'), '--format', 'json']);
    expect(r.code).toBe(2);
    const diags = JSON.parse(r.stdout);
    expect(diags).toContainEqual({
      file: fixture('needs-cycle.yaml'),
      line: 9,
      column: 16,
      severity: 'error',
      code: 'needs-cycle',
      message: expect.stringContaining('a -> b -> a'),
    });
  });

  it('github format annotates the line', () => {
    const r = migrate(['validate', fixture('bad-duration.yaml'), '--format', 'github']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^::error file=.*bad-duration\.yaml,line=9,col=18,title=duration::/m);
  });

  it('warnings pass, and fail under --strict', () => {
    expect(migrate(['validate', fixture('no-rollback.yaml')]).code).toBe(0);
    expect(migrate(['validate', fixture('no-rollback.yaml'), '--strict']).code).toBe(2);
  });

  it('a missing file is a located usage error', () => {
    const r = migrate(['validate', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('nope.yaml:1:1 error file-unreadable');
  });
});

describe('plan and graph', () => {
  const otp = ['-r', 'runbooks/otp-cleanup.yaml'];

  it('plan 2 --json on otp-cleanup gives the graph', () => {
    const r = migrate([...otp, 'plan', '2', '--json']);
    expect(r.code).toBe(0);
    const g = JSON.parse(r.stdout);
    expect(g.stage).toEqual({ id: 2, name: 'Error context migration', description: expect.any(String) });
    expect(g.levels).toEqual([['enable-error-context'], ['smoke']]);
    expect(g.nodes.map((n: { id: string }) => n.id)).toEqual([
      'gate',
      'step:enable-error-context',
      'step:smoke',
      'monitor',
      'verify',
    ]);
    expect(g.nodes.find((n: { id: string }) => n.id === 'monitor').duration_ms).toBe(2 * 3_600_000);
    expect(g.rollback[0].action).toEqual({
      kind: 'flag',
      display: 'restore flag use_logger_error_context to its previous value',
    });
  });

  it('plan for people shows levels, the window and the rollback plan', () => {
    const r = migrate([...otp, 'plan', '1', '--env', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stage 1: Registry migration');
    expect(r.stdout).toContain('http://staging.internal:4000/health');
    expect(r.stdout).toMatch(/monitor\s+30m; sample every 30s; breach after 3 consecutive failed/);
    expect(r.stdout).toMatch(/rollback plan[\s\S]*1\. undo smoke|1\. undo enable-registry/);
  });

  it('--set values reach the plan; secrets never do', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'migrate.yaml'),
      [
        'version: 1',
        'name: s',
        'vars:',
        '  token: { env: TOKEN, secret: true }',
        '  region: { default: eu }',
        'stages:',
        '  - id: 1',
        '    name: one',
        '    steps:',
        '      - run: deploy --region ${region} --token ${token}',
        '        undo: undeploy ${token}',
        '',
      ].join('\n'),
    );
    const r = migrate(['plan', '1', '--json', '--set', 'region=us-east'], { cwd: dir, env: { TOKEN: 'tok-123456' } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('tok-123456');
    expect(r.stdout).toContain("deploy --region us-east --token '***'");
  });

  it('graph prints Mermaid and DOT', () => {
    const m = migrate([...otp, 'graph', '1']);
    expect(m.code).toBe(0);
    expect(m.stdout.split('\n')[0]).toBe('flowchart TD');
    expect(m.stdout).toContain('n_step_enable_monitoring --> n_step_enable_registry');
    const d = migrate([...otp, 'graph', '1', '--format', 'dot']);
    expect(d.stdout).toMatch(/^digraph "stage_1" \{/);
    expect(d.stdout).toContain('"step:enable-registry" -> "step:smoke";');
  });

  it.each([
    [['plan', '9'], 'no stage 9'],
    [['plan', 'two'], "stage must be a stage number, got 'two'"],
    [['plan', '1', '--set', 'nope=1'], "no var 'nope'"],
    [['plan', '1', '--env', 'prod'], "unknown environment 'prod'"],
    [['plan'], 'plan needs a stage number'],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j is a usage error (exit 2)', (args, text) => {
    const r = migrate([...otp, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
  });

  it('an invalid runbook stops plan with its diagnostics', () => {
    const r = migrate(['-r', fixture('needs-unknown.yaml'), 'plan', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs-unknown.yaml:12:17 error needs-unknown');
  });

  it('finds the runbook from MIGRATE_RUNBOOK, ./migrate.yaml, or the only one in ./runbooks', () => {
    const dir = tempDir();
    expect(migrate(['plan', '1'], { cwd: dir }).stderr).toContain('no runbook');
    expect(migrate(['init'], { cwd: dir }).code).toBe(0);
    expect(migrate(['plan', '1'], { cwd: dir }).stdout).toContain('my-change');
    expect(
      migrate(['plan', '2', '--json'], { cwd: dir, env: { MIGRATE_RUNBOOK: join(ROOT, 'runbooks/otp-cleanup.yaml') } })
        .stdout,
    ).toContain('Error context');
  });
});

describe('init, help, version', () => {
  it('init writes a starter that validates, and never overwrites', () => {
    const dir = tempDir();
    expect(migrate(['init', 'rb/first.yaml'], { cwd: dir }).code).toBe(0);
    expect(existsSync(join(dir, 'rb/first.yaml'))).toBe(true);
    expect(migrate(['validate', '--strict', 'rb/first.yaml'], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, 'rb/first.yaml'), 'mine');
    const again = migrate(['init', 'rb/first.yaml'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(readFileSync(join(dir, 'rb/first.yaml'), 'utf8')).toBe('mine');
  });

  it('--version prints the package version', () => {
    const r = migrate(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it.each(['validate', 'plan', 'graph', 'init'])('%s --help has examples', (cmd) => {
    const r = migrate([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain(`$ migrate ${cmd}`);
  });
});

describe('fast start', () => {
  it('validate and --version load no listr2, inquirer, execa or pg', () => {
    const heavy = /node_modules\/(listr2|@inquirer|inquirer|execa|pg)\//;
    for (const args of [['validate'], ['--version'], ['-r', 'runbooks/otp-cleanup.yaml', 'plan', '1']]) {
      const r = migrate(args, {
        env: { NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/track-imports.mjs')}`, TRACK_IMPORTS: '1' },
      });
      expect(r.code).toBe(0);
      const loaded = r.stderr.split('\n').filter((l) => l.startsWith('import: '));
      expect(loaded.length).toBeGreaterThan(0);
      expect(loaded.filter((l) => heavy.test(l))).toEqual([]);
    }
  });

  it('a stage loads no execa: its ~130 modules cost more than the rest of a one-step stage', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'migrate.yaml'),
      'version: 1\nname: lean\nstages:\n  - { id: 1, name: one, irreversible: true, steps: [{ run: "echo ran > out" }] }\n',
    );
    const r = migrate(['stage', '1'], {
      cwd: dir,
      env: { NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/track-imports.mjs')}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('ran\n');
    expect(r.stderr.split('\n').filter((l) => /^import: .*node_modules\/execa\//.test(l))).toEqual([]);
  });

  it('output to a pipe loads no chalk (it would colour nothing); forced colour still colours', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'migrate.yaml'),
      'version: 1\nname: pipe\nstages:\n  - { id: 1, name: one, steps: [{ run: "true" }] }\n',
    );
    const track = {
      NODE_OPTIONS: `--import=${join(ROOT, 'test/helpers/track-imports.mjs')}`,
      NO_COLOR: '',
      FORCE_COLOR: undefined,
    };
    for (const args of [['validate', 'migrate.yaml'], ['status'], ['plan', '1'], ['stage', '1']]) {
      const r = migrate(args, { cwd: dir, env: track });
      expect(r.code, r.stderr).toBe(0);
      expect(
        r.stderr.split('\n').filter((l) => /^import: .*node_modules\/chalk\//.test(l)),
        args.join(' '),
      ).toEqual([]);
    }
    const forced = migrate(['validate', 'migrate.yaml'], { cwd: dir, env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[32m✓');
    expect(forced.stdout).not.toMatch(/^✓ /m);
    expect(
      migrate(['validate', 'migrate.yaml'], { cwd: dir, env: { NO_COLOR: '', FORCE_COLOR: undefined } }).stdout,
    ).toMatch(/^✓ migrate.yaml/m);
  });
});
