#!/usr/bin/env node
// A stand-in for a real service, so the demo runbook runs on any machine:
// its flags and metrics live in one JSON file beside this script.
//   node demo/app.mjs flag <name> [value|--unset]   read or write a flag
//   node demo/app.mjs metric <name> [value]         read or write a metric
//   node demo/app.mjs health                        exit 0 when the file is readable
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const file = process.env.DEMO_APP_STATE ?? new URL('./app-state.json', import.meta.url).pathname;
const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { flags: {}, metrics: { error_rate: 0.01, p99_ms: 120 } };
const save = () => { writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2)); renameSync(`${file}.tmp`, file); };
const [kind, name, value] = process.argv.slice(2);

if (kind === 'health') process.exit(0);
const bucket = kind === 'flag' ? state.flags : kind === 'metric' ? state.metrics : undefined;
if (!bucket || !name) {
  console.error('usage: app.mjs flag|metric <name> [value|--unset] | health');
  process.exit(2);
}
if (value === undefined) console.log(bucket[name] ?? 'unset');
else {
  if (value === '--unset') delete bucket[name];
  else bucket[name] = Number.isNaN(Number(value)) ? value : Number(value);
  save();
}
