/**
 * The prometheus probe against fake Prometheus servers on 127.0.0.1 (timeouts,
 * headers) and in validate (durations from vars, ${var} in PromQL): issue 12.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/sandbox.js';

const rb = (checks: string[], vars: string[] = [], extra: string[] = []) =>
  [
    'version: 1',
    'name: p',
    'vars:',
    '  prom: { default: "http://127.0.0.1:9" }',
    ...vars.map((v) => `  ${v}`),
    ...extra,
    'guards:',
    ...checks.map((c) => `  - ${c}`),
    'stages:',
    '  - { id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }',
    '',
  ].join('\n');

interface Fake {
  url: string;
  requests: { url: string; headers: IncomingHttpHeaders }[];
  server: Server;
}
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
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] },
        }),
      );
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const f = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
  fakes.push(f);
  return f;
}

describe('prometheus.timeout', () => {
  it('gives up on a slow server after prometheus.timeout, and passes it as the API timeout', async () => {
    const f = await fakeProm('0.01', 8000);
    const box = sandbox(
      rb([`{ name: slow, prometheus: { url: "${f.url}", query: "up", timeout: 1s }, expect: value < 0.05 }`]),
    );
    const start = Date.now();
    const r = await box.runAsync(['check', '--json']);
    const took = Date.now() - start;
    expect(took, r.stdout + r.stderr).toBeLessThan(5000);
    const [s] = JSON.parse(r.stdout) as { result: string; message: string }[];
    expect(s).toMatchObject({ result: 'error' });
    expect(s?.message).toMatch(/timed out after 1s|timeout/i);
    expect(new URL(f.requests[0]!.url, f.url).searchParams.get('timeout')).toBe('1s');
  }, 20_000);

  it('a ${var} timeout is a duration like the others', async () => {
    const f = await fakeProm('0.01', 8000);
    const box = sandbox(
      rb(
        [`{ name: slow, prometheus: { url: "${f.url}", query: "up", timeout: "\${t}" }, expect: value < 0.05 }`],
        ['t: { default: "1s" }'],
      ),
    );
    const start = Date.now();
    const r = await box.runAsync(['check', '--json']);
    expect(Date.now() - start, r.stdout + r.stderr).toBeLessThan(5000);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ result: 'error' });
  }, 20_000);
});

describe('prometheus.headers', () => {
  it('a bearer token from a secret var reaches the server and is masked in output and the journal', async () => {
    const f = await fakeProm('0.01');
    const token = 'prom-Sekr3t-t0ken';
    const yaml = [
      'version: 1',
      'name: p',
      'vars:',
      '  token: { env: PROM_TOKEN, secret: true }',
      'stages:',
      '  - id: 1',
      '    name: one',
      '    irreversible: true',
      '    steps: [{ run: "true" }]',
      '    monitor: { duration: 300ms, interval: 100ms, checks: [',
      `      { name: "ratio \${token}", prometheus: { url: "${f.url}", query: 'up{job=\${token}}', headers: { Authorization: "Bearer \${token}" } }, expect: value < 0.05 }] }`,
      '',
    ].join('\n');
    const box = sandbox(yaml);
    const r = await box.runAsync(['stage', '1', '--yes', '--json'], { PROM_TOKEN: token });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(f.requests.length).toBeGreaterThan(0);
    expect(f.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    const all = `${r.stdout}\n${r.stderr}\n${box.read('.migrate/journal.jsonl')}`;
    expect(all).not.toContain('Sekr3t');
    expect(box.journal().find((e) => e.event === 'check.sample')).toMatchObject({
      probe: `prometheus ${f.url}: up{job="***"}`,
    });
  }, 30_000);
});

describe('prometheus durations from vars (at, baseline.query_offset)', () => {
  const validate = (yaml: string) => {
    const r = sandbox(yaml).run(['validate', '--format', 'json', 'migrate.yaml']);
    return {
      code: r.code,
      diags: JSON.parse(r.stdout || '[]') as { code: string; line: number; message: string; path?: string }[],
      r,
    };
  };

  it('a var that is not a duration is a located error in validate', () => {
    const v = validate(
      rb(
        [
          '{ name: a, prometheus: { url: "${prom}", query: "up", at: "${lag}" }, baseline: { query_offset: "${off}" }, expect: value < baseline }',
        ],
        ['lag: { default: banana }', 'off: { default: "1h" }'],
      ),
    );
    expect(v.code, JSON.stringify(v.diags)).toBe(2);
    expect(v.diags).toEqual([expect.objectContaining({ code: 'duration', line: 8 })]);
    expect(v.diags[0]?.message).toContain('banana');
    const off = validate(
      rb(
        [
          '{ name: a, prometheus: { url: "${prom}", query: "up" }, baseline: { query_offset: "${off}" }, expect: value < baseline }',
        ],
        ['off: { default: "1h" }'],
        ['environments: { drill: { vars: { off: soon } } }'],
      ),
    );
    expect(off.code, JSON.stringify(off.diags)).toBe(2);
    expect(off.diags).toEqual([expect.objectContaining({ code: 'duration' })]);
  });

  it('--set with a bad duration is refused before anything runs (exit 2)', () => {
    const box = sandbox(
      rb(
        ['{ name: a, prometheus: { url: "${prom}", query: "up", at: "${lag}" }, expect: value < 1 }'],
        ['lag: { default: "5m" }'],
      ),
    );
    expect(box.run(['validate', 'migrate.yaml']).code).toBe(0);
    const r = box.run(['check', '--set', 'lag=banana']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/banana.*not a duration/);
  });
});

describe('${var} in PromQL: a string literal, so only where PromQL takes a string', () => {
  const diags = (query: string, vars: string[] = []) => {
    const yaml = rb(
      [`{ name: q, prometheus: { url: "\${prom}", query: '${query}' }, expect: value < 1 }`],
      ['job: { default: api }', 'window: { default: 5m }', 'limit: { default: "5" }', ...vars],
    );
    const r = sandbox(yaml).run(['validate', '--format', 'json', 'migrate.yaml']);
    return {
      code: r.code,
      list: JSON.parse(r.stdout || '[]') as { code: string; line: number; column?: number; message: string }[],
    };
  };

  it('inside a quoted PromQL string: promql-var-in-literal, located, saying how to write it', () => {
    const d = diags('up{job="${job}"}');
    expect(d.code).toBe(2);
    expect(d.list).toEqual([expect.objectContaining({ code: 'promql-var-in-literal', line: 9 })]);
    expect(d.list[0]?.message).toContain('{job=${job}}');
    expect(diags("up{job=~''${job}.*''}").list).toEqual([expect.objectContaining({ code: 'promql-var-in-literal' })]);
  });

  it('in a range or subquery selector, after offset, or where a number goes: refused', () => {
    const inRange = diags('rate(up[${window}])');
    expect(inRange.code).toBe(2);
    expect(inRange.list).toEqual([expect.objectContaining({ code: 'promql-var-in-range' })]);
    expect(inRange.list[0]?.message).toContain('"5m"');
    expect(diags('max_over_time(up[1h:${window}])').list).toEqual([
      expect.objectContaining({ code: 'promql-var-in-range' }),
    ]);
    const threshold = diags('up > ${limit}');
    expect(threshold.list).toEqual([expect.objectContaining({ code: 'promql-var-position' })]);
    expect(threshold.list[0]?.message).toContain('expect: value > ${limit}');
    expect(diags('up offset ${window}').list).toEqual([expect.objectContaining({ code: 'promql-var-position' })]);
    expect(diags('topk(${limit}, up)').list).toEqual([expect.objectContaining({ code: 'promql-var-position' })]);
    expect(diags('sum by (${job}) (up)').list).toEqual([expect.objectContaining({ code: 'promql-var-position' })]);
  });

  it('label values and string arguments are fine', () => {
    for (const q of [
      'up{job=${job}}',
      'up{job=~${job}, instance!="a]b}"}',
      'sum(rate(http_requests_total{job!~${job}}[5m]))',
      'label_replace(up, "dst", ${job}, "instance", "(.*)")',
      'count_values(${job}, up)',
      'up # ${job} in a comment',
      'up{job="$${job}"}',
    ]) {
      const d = diags(q);
      expect(d.list, q).toEqual([]);
      expect(d.code, q).toBe(0);
    }
  });

  it('compare is checked too', () => {
    const yaml = rb(
      [
        '{ name: q, prometheus: { url: "${prom}", query: "up", compare: \'up{job="${job}"}\' }, expect: value < compare }',
      ],
      ['job: { default: api }'],
    );
    const r = sandbox(yaml).run(['validate', '--format', 'json', 'migrate.yaml']);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ code: 'promql-var-in-literal' })]);
  });
});

describe('validate refuses a prometheus check that can only fail (review 4)', () => {
  const validate = (check: string) => {
    const r = sandbox(rb([check])).run(['validate', '--format', 'json', 'migrate.yaml']);
    return { code: r.code, diags: JSON.parse(r.stdout || '[]') as { code: string; line: number; message: string }[] };
  };
  const P = (fields: string, expect = 'value < 1') => `{ name: q, prometheus: { ${fields} }, expect: "${expect}" }`;
  it.each([
    [
      'compare read without a compare query',
      P('url: "${prom}", query: "up"', 'value < compare'),
      'expr-unknown-name',
      /compare:/,
    ],
    ['an unclosed paren', P('url: "${prom}", query: "sum(up"'), 'promql-syntax', /unclosed '\('/],
    ['a stray bracket', P('url: "${prom}", query: "up}"'), 'promql-syntax', /'\}'/],
    ['an unclosed string', P(`url: "\${prom}", query: 'up{job="a}'`), 'promql-syntax', /unclosed string/],
    ['an empty query', P('url: "${prom}", query: ""'), 'promql-syntax', /empty/],
    ['a blank compare', P('url: "${prom}", query: "up", compare: "  "', 'value < compare'), 'promql-syntax', /empty/],
    ['a zero timeout', P('url: "${prom}", query: "up", timeout: 0s'), 'duration', /zero/],
    ['an offset before Prometheus existed', P('url: "${prom}", query: "up", at: 99999999d'), 'duration', /years/],
    [
      'a header value with a newline',
      P('url: "${prom}", query: "up", headers: { X-A: "a\\nb" }'),
      'header-value',
      /line break/,
    ],
    ['credentials in the URL', P('url: "http://u:pw@127.0.0.1:9090", query: "up"'), 'url', /headers/],
    ['an ftp URL', P('url: "ftp://127.0.0.1:9090", query: "up"'), 'url', /http/],
    ['a port fetch refuses', P('url: "http://127.0.0.1:6000", query: "up"'), 'url', /port 6000/],
    ['a URL that is not one', P('url: "http//127.0.0.1:9090", query: "up"'), 'url', /not a URL/],
  ])('%s', (_name, check, code, message) => {
    const v = validate(check);
    expect(v.code, JSON.stringify(v.diags)).toBe(2);
    const hit = v.diags.find((d) => d.code === code);
    expect(hit, JSON.stringify(v.diags)).toBeDefined();
    expect(hit!.line).toBe(6);
    expect(hit!.message).toMatch(message);
    if (code !== 'url') return;
    expect(hit!.message).not.toContain('pw');
  });

  it.each([
    ['a URL from a var', P('url: "${prom}", query: "up"')],
    [
      'a valid query with strings, comments and nesting',
      P(`url: "http://127.0.0.1:9090", query: 'sum(rate(x{a="(]"}[5m])) # ('`),
    ],
    ['an https URL with a path and a query string', P('url: "https://prom.example/p?tenant=a", query: "up"')],
  ])('still valid: %s', (_name, check) => {
    const v = validate(check);
    expect(v.diags).toEqual([]);
    expect(v.code).toBe(0);
  });
});

describe('prometheus replies and URLs (review 4)', () => {
  /** A Prometheus stand-in answering `body` (a JSON value or raw text). */
  async function fakeBody(body: unknown): Promise<Fake> {
    const requests: Fake['requests'] = [];
    const server = createServer((req, res) => {
      requests.push({ url: req.url!, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const f = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
    fakes.push(f);
    return f;
  }
  const vector = (value: unknown) => ({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] },
  });
  const check = async (url: string) => {
    const box = sandbox(rb([`{ name: q, prometheus: { url: "${url}", query: "up" }, expect: value < 1 }`]));
    const r = await box.runAsync(['check', '--json']);
    const [s] = JSON.parse(r.stdout) as { result: string; message: string }[];
    expect(r.stderr).not.toMatch(/internal error|TypeError/);
    return s!;
  };

  it('a base URL with a query string keeps it after the API path', async () => {
    const f = await fakeBody(vector('0.5'));
    expect(await check(`${f.url}/prom/?tenant=a`)).toMatchObject({ result: 'passed' });
    const u = new URL(f.requests[0]!.url, f.url);
    expect(u.pathname).toBe('/prom/api/v1/query');
    expect(u.searchParams.get('tenant')).toBe('a');
    expect(u.searchParams.get('query')).toBe('up');
  });

  it.each([
    ['a null sample', vector(null), /sample/],
    ['a sample that is not a number', vector('abc'), /'abc' is not a number/],
    [
      'a series without a value',
      { status: 'success', data: { resultType: 'vector', result: [{ metric: {} }] } },
      /sample/,
    ],
    ['no data field', { status: 'success' }, /not a Prometheus API reply/],
  ])('%s is an error sample with a clear message', async (_name, body, message) => {
    const f = await fakeBody(body);
    const s = await check(f.url);
    expect(s.result).toBe('error');
    expect(s.message).toMatch(message);
  });

  it('a reply over the cap names the cap, not an http field the probe does not have', async () => {
    const f = await fakeBody(`{"status":"success","pad":"${'x'.repeat(11 * 1024 * 1024)}"}`);
    const s = await check(f.url);
    expect(s.result).toBe('error');
    expect(s.message).toMatch(/larger than 10MB/);
    expect(s.message).not.toContain('max_body');
  }, 20_000);
});

describe('prometheus URLs and secrets (review 5)', () => {
  const secretRb = (url: string) =>
    [
      'version: 1',
      'name: p',
      'vars:',
      '  prom: { env: PROM, secret: true }',
      '  tok: { env: TOK, secret: true }',
      'guards:',
      `  - { name: q, prometheus: { url: "${url}", query: "up" }, expect: "value < 1" }`,
      'stages:',
      '  - { id: 1, name: one, irreversible: true, steps: [{ run: "true" }] }',
      '',
    ].join('\n');

  it.each([
    [
      'a secret base URL on a blocked port',
      '${prom}',
      { PROM: 'http://127.0.0.1:22/?tenant=topsecret42', TOK: 'x' },
      'topsecret42',
    ],
    [
      'a secret base URL with another scheme',
      '${prom}',
      { PROM: 'ftp://topsecret42.example/', TOK: 'x' },
      'topsecret42',
    ],
    [
      'a secret token that URL encoding respells',
      'http://127.0.0.1:22/?token=${tok}',
      { PROM: 'x', TOK: 'abc~def(ghij)' },
      'def',
    ],
  ])('%s: refused, and the secret is in neither the output nor the journal', async (_name, url, env, secret) => {
    const box = sandbox(secretRb(url));
    const r = await box.runAsync(['check'], env);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/names port 22|only http and https/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(box.read('.migrate/journal.jsonl')).not.toContain(secret);
  });

  it("a query= in the base URL does not replace the runbook's query", async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url!);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [0, '0.5'] } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fakes.push({ url: '', requests: [], server });
    const port = (server.address() as AddressInfo).port;
    const box = sandbox(
      rb([
        `{ name: q, prometheus: { url: "http://127.0.0.1:${port}/p/?query=evil&time=1", query: "up" }, expect: value < 1 }`,
      ]),
    );
    const r = await box.runAsync(['check', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const u = new URL(requests[0]!, 'http://x');
    expect(u.searchParams.getAll('query')).toEqual(['up']);
    expect(u.searchParams.getAll('time')).toHaveLength(1);
    expect(u.searchParams.get('time')).not.toBe('1');
  });

  it('a header value with a character past U+00FF is a validate error', () => {
    const r = sandbox(
      rb([
        '{ name: q, prometheus: { url: "${prom}", query: "up", headers: { X-A: "caf\u00e9 \u20ac" } }, expect: value < 1 }',
      ]),
    ).run(['validate', '--format', 'json', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ code: 'header-value', line: 6 })]);
  });
});
