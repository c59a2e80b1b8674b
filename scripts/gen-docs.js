#!/usr/bin/env node
// Writes the generated reference docs from the built code (run after `tsc`):
//   docs/runbook.md  from the runbook schema's descriptions
//   docs/lint.md     from the SQL lint rules, run on their examples
//   schema/runbook.schema.json (also written by write-schema.js)
// `--check` writes nothing and exits 1 when a file is out of date (CI runs it
// through test/unit/docs.test.ts). The build rewrites stale files, so CI also
// compares them with the commit (scripts/check-committed-docs.sh, after npm ci). The build runs it `--lenient`: a doc that
// cannot be generated (a lint example that stopped matching) is a warning
// there, so the build still works and the docs test names the problem.
import { readFileSync, writeFileSync } from 'node:fs';
import { runbookSchema } from '../dist/runbook/schema.js';
import { renderRunbookDoc } from './docs/runbook.js';
import { renderLintDoc } from './docs/lint.js';

const docs = {
  'docs/runbook.md': () => renderRunbookDoc(runbookSchema),
  'docs/lint.md': () => renderLintDoc(),
  // Also written by scripts/write-schema.js; here so --check covers it.
  'schema/runbook.schema.json': () => `${JSON.stringify(runbookSchema, null, 2)}\n`,
};

const check = process.argv.includes('--check');
const lenient = process.argv.includes('--lenient');
let stale = 0;
for (const [file, render] of Object.entries(docs)) {
  let text;
  try {
    text = await render();
  } catch (e) {
    if (!lenient) throw e;
    console.warn(`warning: ${file} not regenerated: ${e.message}`);
    continue;
  }
  const target = new URL(`../${file}`, import.meta.url);
  let old = null;
  try {
    old = readFileSync(target, 'utf8');
  } catch {
    /* new file */
  }
  if (old === text) continue;
  if (check) {
    stale++;
    console.error(`${file} is out of date: run \`npm run docs\` and commit it`);
  } else {
    writeFileSync(target, text);
    if (!lenient) console.log(`wrote ${file}`);
  }
}
process.exit(stale ? 1 : 0);
