/**
 * The prometheus probe against fake Prometheus servers on 127.0.0.1 (timeouts,
 * headers) and in validate (durations from vars, ${var} in PromQL): issue 12.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/sandbox.js';

const rb = (checks: string[], vars: string[] = [], extra: string[] = []) => [
  'version: 1', 'name: p', 'vars:', '  prom: { default: "http://127.0.0.1:9" }', ...vars.map((v) => `  ${v}`), ...extra,
  'guards:', ...checks.map((c) => `  - ${c}`),
  'stages:', '  - { id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }', '',
].join('\n');

interface Fake { url: string; requests: { url: string; headers: IncomingHttpHeaders }[]; server: Server }
let fakes: Fake[] = [];
afterEach(async () => {
  for (const f of fakes) f.server.closeAllConnections();
  await Promise.all(fakes.map((f) => new Promise((r) => f.server.close(r))));
  fakes = [];
});

/** A Prometheus API stand-in answering `value` after `delayMs`. */
async function fakeProm(value: string, delayMs = 0): Promise<Fake> {
  const requests: Fake['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url!, headers: req.headers });
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] } }));
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const f = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
  fakes.push(f);
  return f;
}

describe('prometheus durations from vars (at, baseline.query_offset)', () => {
  const validate = (yaml: string) => {
    const r = sandbox(yaml).run(['validate', '--format', 'json', 'migrate.yaml']);
    return { code: r.code, diags: JSON.parse(r.stdout || '[]') as { code: string; line: number; message: string; path?: string }[], r };
  };

  it('a var that is not a duration is a located error in validate', () => {
    const v = validate(rb([
      '{ name: a, prometheus: { url: "${prom}", query: "up", at: "${lag}" }, baseline: { query_offset: "${off}" }, expect: value < baseline }',
    ], ['lag: { default: banana }', 'off: { default: "1h" }']));
    expect(v.code, JSON.stringify(v.diags)).toBe(2);
    expect(v.diags).toEqual([expect.objectContaining({ code: 'duration', line: 8 })]);
    expect(v.diags[0]?.message).toContain('banana');
    const off = validate(rb([
      '{ name: a, prometheus: { url: "${prom}", query: "up" }, baseline: { query_offset: "${off}" }, expect: value < baseline }',
    ], ['off: { default: "1h" }'], ['environments: { drill: { vars: { off: soon } } }']));
    expect(off.code, JSON.stringify(off.diags)).toBe(2);
    expect(off.diags).toEqual([expect.objectContaining({ code: 'duration' })]);
  });

  it('--set with a bad duration is refused before anything runs (exit 2)', () => {
    const box = sandbox(rb(['{ name: a, prometheus: { url: "${prom}", query: "up", at: "${lag}" }, expect: value < 1 }'], ['lag: { default: "5m" }']));
    expect(box.run(['validate', 'migrate.yaml']).code).toBe(0);
    const r = box.run(['check', '--set', 'lag=banana']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/banana.*not a duration/);
  });
});
