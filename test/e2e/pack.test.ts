/**
 * Install like a user: `npm pack` the built package, install the tarball into
 * an empty project outside the clone (dependencies from the npm cache or the
 * registry), and run the installed `migrate` from there: --version and the
 * demo's three stages.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

describe('npm pack', () => {
  it('installs from the tarball into a temp dir and runs --version and the demo there', () => {
    expect(pkg.name, 'the npm name `migrate` belongs to an unrelated package').not.toBe('migrate');
    const out = tempDir('migrate-pack-');
    // dist/ is already built (pretest); packing must not rebuild it.
    const packed = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT);
    expect(packed.code, packed.out).toBe(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (!info) throw new Error(`npm pack described no package: ${packed.stdout}`);
    const files = info.files.map((f) => f.path);
    expect(files).toContain('bin/migrate.js');
    expect(files).toContain('dist/bundle/main.js');
    // The bundle is the CLI: tsc's per-module output stays out of the package.
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/'))).toEqual([]);
    expect(files).toContain('schema/runbook.schema.json');
    expect(files).toContain('docs/runbook.md');
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || /app-state|flags\.json/.test(f))).toEqual([]);

    const project = tempDir('migrate-install-');
    writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
    const installed = sh(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(out, info.filename)],
      project,
    );
    expect(installed.code, installed.out).toBe(0);
    const bin = join(project, 'node_modules', '.bin', 'migrate');

    const version = sh(bin, ['--version'], project);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = sh(bin, ['--help'], project);
    expect(help.code, help.out).toBe(0);

    const shipped = join(project, 'node_modules', pkg.name, 'runbooks');
    cpSync(join(shipped, 'demo.yaml'), join(project, 'demo.yaml'));
    cpSync(join(shipped, 'demo'), join(project, 'demo'), { recursive: true });
    const up = sh(bin, ['-r', 'demo.yaml', 'up', '--yes'], project);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toMatch(/completed stage\(s\) 1, 2, 3/);
    const status = sh(bin, ['-r', 'demo.yaml', 'status', '--json'], project);
    expect(JSON.parse(status.stdout)).toMatchObject({ runbook: 'demo', current_stage: 3, state: 'clean' });
  }, 300_000);

  it("never ships local run data: state dirs, the demo app's state and flags (issue 12)", () => {
    // A copy of the package after the quick start ran in it (runbooks/.migrate, the demo app's state files).
    const dir = tempDir('migrate-packdata-');
    for (const d of ['bin', 'schema', 'docs', 'runbooks']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'main.js'), '\n');
    const data = [
      'runbooks/.migrate/journal.jsonl',
      'runbooks/.migrate/snapshot.json',
      'runbooks/.migrate/lock',
      'runbooks/.migrate/flags.json',
      'runbooks/demo/app-state.json',
      'runbooks/demo/app-state.json.tmp',
      'runbooks/demo/flags.json',
      'runbooks/demo/.migrate/journal.jsonl',
      'runbooks/sub/.migrate/journal.jsonl',
      'docs/.migrate/journal.jsonl',
      'schema/.migrate/snapshot.json',
      'bin/.migrate/journal.jsonl',
    ];
    for (const f of data) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), '{"operator":"user@host"}\n');
    }
    const packed = sh('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], dir);
    expect(packed.code, packed.out).toBe(0);
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('runbooks/demo.yaml');
    expect(files).toContain('runbooks/demo/app.mjs');
    expect(files.filter((f) => /(^|\/)\.migrate\/|app-state|flags\.json/.test(f))).toEqual([]);
  }, 120_000);
});
