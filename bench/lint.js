#!/usr/bin/env node
// The SQL lint against squawk on the same corpus (test/lint/corpus.mjs), in one run:
// recall on the unsafe statements and false positives on their safe twins.
//   npm run build && node bench/lint.js [--cases]
// A case counts as caught by us when the expected rule fires; by squawk when any
// of its rules fires, minus the ones that do not apply to migrate (timeout
// settings: migrate sets lock_timeout and statement_timeout itself) and the
// hygiene ones (compared separately, with hygiene on for us). squawk is the npm
// package squawk-cli, installed on demand into a cache folder (see squawkBinary).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { effectiveLint } from '../dist/pg/lint-config.js';
import { lintSql } from '../dist/pg/lint.js';
import { hygiene, safety } from '../test/lint/corpus.mjs';

const showCases = process.argv.includes('--cases');
const NOT_APPLICABLE = new Set(['require-timeout-settings', 'require-lock-timeout', 'require-statement-timeout']);
const SQUAWK_HYGIENE = new Set([
  'prefer-big-int',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
  'prefer-text-field',
  'ban-char-field',
  'prefer-timestamptz',
  'prefer-robust-stmts',
  'identifier-too-long',
  'require-enum-value-ordering',
  'ban-duplicate-column-assignments',
]);

async function ours(cases, hygieneOn) {
  const rows = [];
  for (const c of cases) {
    const lint = effectiveLint({ postgres: c.pg, hygiene: hygieneOn });
    const unsafe = await lintSql(c.unsafe, c.tx ?? true, { lint });
    const safe = await lintSql(c.safe, c.safeTx ?? c.tx ?? true, { lint });
    rows.push({ caught: unsafe.some((f) => f.code === c.code), fp: safe.map((f) => f.code) });
  }
  return rows;
}

/**
 * squawk-cli is not a devDependency: its lock entries name per-platform binaries
 * that this registry does not all serve, which breaks `npm ci`. The bench installs
 * it on demand into a cache folder of its own instead.
 */
function squawkBinary() {
  const prefix = join(tmpdir(), 'migrate-bench-squawk');
  const bin = join(prefix, 'node_modules', '.bin', 'squawk');
  if (!existsSync(bin)) {
    spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'squawk-cli@2.66.0'], {
      stdio: 'ignore',
    });
  }
  if (!existsSync(bin)) return null;
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return v.status === 0 ? { bin, version: v.stdout.trim() } : null;
}

/** squawk's rule names per SQL text, one invocation per (transaction, PostgreSQL version) group. */
function squawk(bin, jobs) {
  const dir = mkdtempSync(join(tmpdir(), 'lint-bench-'));
  const groups = new Map();
  jobs.forEach((j, i) => {
    const file = join(dir, `${i}.sql`);
    writeFileSync(file, `${j.sql.trim().replace(/;?$/, ';')}\n`);
    const key = `${j.tx}|${j.pg}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  });
  const rules = new Map();
  for (const [key, files] of groups) {
    const [tx, pg] = key.split('|');
    const args = [
      '--reporter',
      'json',
      `--pg-version=${pg}.0`,
      tx === 'true' ? '--assume-in-transaction' : '--no-assume-in-transaction',
      ...files,
    ];
    const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const out = r.stdout.trim() ? JSON.parse(r.stdout) : [];
    for (const v of out) rules.set(v.file, [...(rules.get(v.file) ?? []), v.rule_name]);
  }
  rmSync(dir, { recursive: true, force: true });
  return jobs.map((_, i) => rules.get(join(dir, `${i}.sql`)) ?? []);
}

async function theirs(bin, cases, counts) {
  const jobs = cases.flatMap((c) => [
    { sql: c.unsafe, tx: c.tx ?? true, pg: c.pg ?? 14 },
    { sql: c.safe, tx: c.safeTx ?? c.tx ?? true, pg: c.pg ?? 14 },
  ]);
  const found = squawk(bin, jobs).map((rs) => rs.filter(counts));
  return cases.map((_, i) => ({ caught: found[2 * i].length > 0, fp: found[2 * i + 1], rules: found[2 * i] }));
}

const pct = (n, d) => `${((100 * n) / d).toFixed(0)}%`;
function summary(name, rows) {
  const caught = rows.filter((r) => r.caught).length;
  const fps = rows.filter((r) => r.fp.length).length;
  return `${name.padEnd(22)} recall ${String(caught).padStart(2)}/${rows.length} (${pct(caught, rows.length).padStart(4)})   false positives ${fps}/${rows.length} safe twins`;
}

function details(cases, a, b) {
  for (const [i, c] of cases.entries()) {
    const mark = (r) => (r ? `${r.caught ? 'caught' : 'MISSED'}${r.fp.length ? ` FP(${r.fp.join(',')})` : ''}` : '-');
    if (!showCases && a[i].caught && !a[i].fp.length && (!b || (b[i].caught && !b[i].fp.length))) continue;
    console.log(
      `  ${c.code.padEnd(32)} ours: ${mark(a[i]).padEnd(22)} squawk: ${mark(b?.[i])}   ${c.unsafe.slice(0, 70)}`,
    );
  }
}

const sq = squawkBinary();
if (!sq) {
  console.log('!!! squawk could not be installed (npm install squawk-cli@2.66.0 failed: no registry?):');
  console.log('!!! the comparison column is SKIPPED; only our figures follow.');
}
for (const [title, cases, hygieneOn, counts] of [
  ['safety rules (default settings)', safety, false, (r) => !NOT_APPLICABLE.has(r) && !SQUAWK_HYGIENE.has(r)],
  ['hygiene rules (hygiene on)', hygiene, true, (r) => SQUAWK_HYGIENE.has(r)],
]) {
  const a = await ours(cases, hygieneOn);
  const b = sq ? await theirs(sq.bin, cases, counts) : null;
  console.log(`\n${title}: ${cases.length} unsafe statements, each with a safe twin`);
  console.log(`  ${summary('migrate lint', a)}`);
  if (b) console.log(`  ${summary(sq.version, b)}`);
  details(cases, a, b);
}
