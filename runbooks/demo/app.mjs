#!/usr/bin/env node
// A stand-in for a real service, so the demo runbook runs on any machine.
// Feature flags: read from demo/flags.json, which migrate's flag steps write.
// Traffic and metrics: demo/app-state.json.
//   node demo/app.mjs health                  exit 0 when the service answers
//   node demo/app.mjs flag <name>             print a flag (or "unset")
//   node demo/app.mjs weight <percent>        send <percent> of reads to the new cache
//   node demo/app.mjs set <metric> <value>    change how the service behaves
//   node demo/app.mjs metric <name>           print a metric: error_rate, p99_ms, weight, warm_keys
//   node demo/app.mjs serve [port]            serve traffic and GET /metrics (Prometheus text format)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

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

// Served traffic: real counters, so a Prometheus scraping /metrics sees rates
// move when a step shifts reads or a cache starts failing.
function serve(port) {
  const counts = {};
  const latency = { buckets: [50, 100, 250, 500, 1000], counts: [0, 0, 0, 0, 0], inf: 0, sum: 0, n: 0 };
  const owed = { old: 0, new: 0 };
  const count = (cache, code) => { const k = `${cache}|${code}`; counts[k] = (counts[k] ?? 0) + 1; };
  const observe = (ms) => {
    latency.buckets.forEach((b, i) => { if (ms <= b) latency.counts[i]++; });
    latency.inf++; latency.sum += ms / 1000; latency.n++;
  };
  // 100 requests a second, split by weight; each cache fails at its own rate (errors owed are paid exactly).
  setInterval(() => {
    Object.assign(state, readJson(stateFile, state));
    for (let i = 0; i < 10; i++) {
      const cache = (i * 10) < state.weight ? 'new' : 'old';
      const rate = cache === 'new' ? state.new_cache_error_rate : state.base_error_rate;
      owed[cache] += rate;
      const failed = owed[cache] >= 1;
      if (failed) owed[cache] -= 1;
      count(cache, failed ? 500 : 200);
      observe(state.p99_ms * (0.5 + (i % 10) / 20));
    }
  }, 100).unref();
  const metricsText = () => {
    const lines = ['# HELP http_requests_total Requests served, by cache and status code.', '# TYPE http_requests_total counter'];
    for (const [k, v] of Object.entries(counts)) { const [cache, code] = k.split('|'); lines.push(`http_requests_total{cache="${cache}",code="${code}"} ${v}`); }
    lines.push('# HELP http_request_duration_seconds Request latency.', '# TYPE http_request_duration_seconds histogram');
    latency.buckets.forEach((b, i) => lines.push(`http_request_duration_seconds_bucket{le="${b / 1000}"} ${latency.counts[i]}`));
    lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${latency.inf}`, `http_request_duration_seconds_sum ${latency.sum}`, `http_request_duration_seconds_count ${latency.n}`);
    lines.push('# HELP cache_read_weight Percent of reads served by the new cache.', '# TYPE cache_read_weight gauge', `cache_read_weight ${state.weight}`);
    return `${lines.join('\n')}\n`;
  };
  const server = createServer((req, res) => {
    if (req.url === '/metrics') { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(metricsText()); return; }
    if (req.url === '/health') { res.end('ok\n'); return; }
    res.writeHead(404); res.end();
  });
  server.listen(Number(port ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
}

switch (cmd) {
  case 'serve': serve(name); break;
  case 'health': break;
  case 'flag': console.log(Object.hasOwn(flags, name) ? flags[name] : 'unset'); break;
  case 'weight': state.weight = Number(name); save(); break;
  case 'set': state[name] = Number(value); save(); break;
  case 'metric':
    if (!metrics[name]) { console.error(`unknown metric ${name}`); process.exit(2); }
    console.log(metrics[name]());
    break;
  default:
    console.error('usage: app.mjs health | flag <name> | weight <percent> | set <metric> <value> | metric <name> | serve [port]');
    process.exit(2);
}
