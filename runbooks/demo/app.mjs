#!/usr/bin/env node
// A stand-in for a real service, so the demo runbook runs on any machine.
// Feature flags: read from demo/flags.json, which migrate's flag steps write.
// Traffic and metrics: demo/app-state.json.
//   node demo/app.mjs health                  exit 0 when the service answers
//   node demo/app.mjs flag <name>             print a flag (or "unset")
//   node demo/app.mjs weight <percent>        send <percent> of reads to the new cache
//   node demo/app.mjs set <metric> <value>    change how the service behaves
//   node demo/app.mjs metric <name>           print a metric: error_rate, p99_ms, weight, warm_keys
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const here = (f) => new URL(f, import.meta.url).pathname;
const readJson = (f, fallback) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : fallback);
const stateFile = here('./app-state.json');
const state = readJson(stateFile, { weight: 0, base_error_rate: 0.01, new_cache_error_rate: 0.01, p99_ms: 120 });
const flags = readJson(here('./flags.json'), {});
const save = () => { writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2)); renameSync(`${stateFile}.tmp`, stateFile); };
const [cmd, name, value] = process.argv.slice(2);

const metrics = {
  // Reads on the new cache fail at its own rate; the rest at the old one's.
  error_rate: () => Number((state.base_error_rate * (1 - state.weight / 100) + state.new_cache_error_rate * (state.weight / 100)).toFixed(4)),
  p99_ms: () => state.p99_ms,
  weight: () => state.weight,
  warm_keys: () => (flags.new_cache_shadow ? state.warm_keys ?? 0 : 0),
};

switch (cmd) {
  case 'health': break;
  case 'flag': console.log(Object.hasOwn(flags, name) ? flags[name] : 'unset'); break;
  case 'weight': state.weight = Number(name); save(); break;
  case 'set': state[name] = Number(value); save(); break;
  case 'metric':
    if (!metrics[name]) { console.error(`unknown metric ${name}`); process.exit(2); }
    console.log(metrics[name]());
    break;
  default:
    console.error('usage: app.mjs health | flag <name> | weight <percent> | set <metric> <value> | metric <name>');
    process.exit(2);
}
