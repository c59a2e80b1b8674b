// Writes schema/runbook.schema.json from the compiled schema module: the CLI
// and editors read the same definition.
import { mkdirSync, writeFileSync } from 'node:fs';
import { runbookSchema } from '../dist/runbook/schema.js';

const target = new URL('../schema/runbook.schema.json', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, `${JSON.stringify(runbookSchema, null, 2)}\n`);
