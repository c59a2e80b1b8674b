// Issue 10: secrets in every spelling, URL/JSON injection, redirects and resource caps, against the built binary
// with real processes and HTTP servers on 127.0.0.1. Runbooks are JSON (valid YAML).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/sandbox.js';
import { serve, type Served } from '../helpers/http.js';

const rb = (o: Record<string, unknown>) => JSON.stringify({ version: 1, name: 't', ...o }, null, 1);
const stage = (o: Record<string, unknown>) => [{ id: 1, name: 's', irreversible: true, ...o }];
const window = (checks: unknown[]) => ({ duration: '300ms', interval: '100ms', checks });
const everything = (box: Sandbox, r: { stdout: string; stderr: string }) =>
  `${r.stdout}\n${r.stderr}\n${box.read('.migrate/journal.jsonl')}`;

let servers: Served[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
const server = async (routes: Parameters<typeof serve>[0]) => {
  const s = await serve(routes);
  servers.push(s);
  return s;
};

describe('secrets never reach output or the journal, in any spelling', () => {
  it('a shell-quoted secret in a command probe (its display is built from the template)', () => {
    const token = `Sekr'et Sauce$$`;
    const box = sandbox(
      rb({
        vars: { token: { env: 'TOKEN', secret: true } },
        stages: stage({ steps: [{ run: 'true' }], monitor: window([{ name: 'c', command: 'test -n ${token}' }]) }),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--json'], { TOKEN: token });
    expect(r.code, r.stderr).toBe(0);
    const all = everything(box, r);
    expect(all).toContain("test -n '***'");
    expect(all).not.toMatch(/Sekr|Sauce/);
  });

  it('a percent-encoded (base64) secret in an http probe URL', async () => {
    const s = await server({ '/x': () => ({ json: { ok: true } }) });
    const token = 'Zm9vYmFy+/c2VjcmV0==';
    const box = sandbox(
      rb({
        vars: { base: { default: s.url }, token: { env: 'TOKEN', secret: true } },
        stages: stage({
          steps: [{ run: 'true' }],
          monitor: window([{ name: 'h', http: { url: '${base}/x?key=${token}' } }]),
        }),
      }),
    );
    const r = await box.runAsync(['stage', '1', '--yes', '--json'], { TOKEN: token });
    expect(r.code, r.stderr).toBe(0);
    expect(s.requests[0]?.url).toBe(`/x?key=${encodeURIComponent(token)}`);
    expect(box.journal().find((e) => e.event === 'check.sample')!.probe).toBe(
      'GET http://127.0.0.1:' + s.url.split(':')[2] + '/x?key=***',
    );
    expect(everything(box, r)).not.toMatch(/Zm9v|c2VjcmV0/);
  });

  it('a base64 form of a secret printed by a process (a Basic header) is masked', () => {
    const box = sandbox(
      rb({
        vars: { pw: { env: 'PW', secret: true } },
        stages: stage({
          steps: [{ run: 'printf "Authorization: Basic %s\\n" "$(printf "admin:%s" "${pw}" | base64)"; exit 1' }],
        }),
      }),
    );
    const r = box.run(['stage', '1', '--yes'], { PW: 'correct-horse-battery' });
    const leaked = Buffer.from('admin:correct-horse-battery').toString('base64');
    expect(everything(box, r)).not.toContain(leaked.slice(8, 24));
  });

  it('a numeric secret (a PIN) printed by a check is masked in the journal and --json', () => {
    const box = sandbox(
      rb({
        vars: { pin: { env: 'PIN', secret: true } },
        stages: stage({
          steps: [{ run: 'true' }],
          monitor: window([{ name: 'pin check', command: 'echo ${pin}', expect: 'value > 0' }]),
        }),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--json'], { PIN: '73519046' });
    expect(r.code, r.stderr).toBe(0);
    expect(everything(box, r)).not.toContain('73519046');
    expect(box.journal().find((e) => e.event === 'check.sample')!.value).toBe('***');
    const samples = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'sample');
    expect(samples.map((s) => s.value)).toContain('***');
  });

  it('a multi-line secret (a PEM key) printed one line at a time', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7xq\n-----END PRIVATE KEY-----';
    const box = sandbox(
      rb({
        vars: { key: { env: 'KEY', secret: true } },
        stages: stage({ steps: [{ run: 'printf "%s\\n" "${key}" | sed -n 2,3p; exit 1' }] }),
      }),
    );
    const r = box.run(['stage', '1', '--yes'], { KEY: key });
    expect(r.code).toBe(1);
    const all = everything(box, r);
    expect(all).toContain('***');
    expect(all).not.toMatch(/MIIEvQIBADAN|BKcwggSjAgEA/);
  });

  it('a secret with " and \\ stays masked where it is shown JSON-escaped', () => {
    const box = sandbox(
      rb({
        vars: { tok: { env: 'TOK', secret: true } },
        stages: stage({
          preflight: [{ name: 'c', command: 'printf "%s\\n" "${tok}"', expect: 'value == "x"' }],
          steps: [{ run: 'true' }],
        }),
      }),
    );
    const r = box.run(['stage', '1', '--yes', '--json'], { TOK: 'q"uux\\zzyzx' });
    expect(r.code).toBe(1);
    expect(everything(box, r)).not.toContain('zzyzx');
  });

  it("an http step's reply is masked before it is cut to the journal's tail", async () => {
    const secret = 'TOPSECRETVALUE1234567890';
    const s = await server({ '/x': () => ({ status: 500, text: `${'a'.repeat(1990)}${secret}` }) });
    const box = sandbox(
      rb({
        vars: { base: { default: s.url }, token: { env: 'TOKEN', secret: true } },
        stages: stage({ steps: [{ http: { url: '${base}/x' } }] }),
      }),
    );
    const r = await box.runAsync(['stage', '1', '--yes'], { TOKEN: secret });
    expect(r.code).toBe(1);
    expect(everything(box, r)).not.toContain('TOPSEC');
  });

  it("the final error: line is masked too (a failing check's last output line, base64 and percent-encoded forms)", () => {
    const run =
      'printf "%s\\n" "$(printf "admin:%s" "${pw}" | base64)"; printf "%s\\n" "$(printf %s "${pw}" | jq -sRr @uri 2>/dev/null || echo s3cr%20et%21)"; exit 3';
    const box = sandbox(
      rb({
        vars: { pw: { env: 'PW', secret: true } },
        stages: stage({ preflight: [{ name: 'c', command: run }], steps: [{ run: 'true' }] }),
      }),
    );
    const r = box.run(['stage', '1', '--yes'], { PW: 's3cr et!' });
    expect(r.code).toBe(1);
    const error = r.stderr.split('\n').find((l) => l.startsWith('error:'))!;
    expect(error).toMatch(/exited 3: YWRtaW46\*\*\* \| \*\*\*$/); // "admin:" stays, the secret does not
    expect(r.stdout + r.stderr).not.toMatch(/s3cr|YWRtaW46czNjciBldCE/);
  });

  it('a NUL in a var is refused before anything runs, and the error line names no secret', () => {
    const yaml = rb({
      vars: { token: { env: 'TOKEN', secret: true }, x: { default: 'a' } },
      stages: stage({ steps: [{ run: 'touch ran; echo ${token} ${x}' }] }),
    }).replace('"default": "a"', '"default": "a\\u0000b"');
    const box = sandbox(yaml);
    const r = box.run(['stage', '1', '--yes'], { TOKEN: 'hunter2-secret' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/var 'x' contains a NUL byte/);
    expect(everything(box, r)).not.toContain('hunter2');
    expect(box.exists('ran')).toBe(false);
  });

  it("children get secrets through the environment: the shell's argv never holds one", () => {
    const box = sandbox(
      rb({
        vars: { token: { env: 'TOKEN', secret: true } },
        stages: stage({ steps: [{ run: 'tr "\\0" " " < /proc/$$/cmdline > cmdline.txt; test -n ${token}' }] }),
      }),
    );
    const r = box.run(['stage', '1', '--yes'], { TOKEN: 'hunter2-secret' });
    expect(r.code, r.stderr).toBe(0);
    expect(box.read('cmdline.txt')).toContain('MIGRATE_VAR_token');
    expect(box.read('cmdline.txt')).not.toContain('hunter2');
  });

  it("a secret in an argv run (visible in 'ps') is a located validate warning pointing at env:, an error with --strict", () => {
    const box = sandbox(
      rb({
        vars: { token: { env: 'TOKEN', secret: true }, host: { default: 'h' } },
        stages: stage({
          steps: [
            { run: ['curl', '-H', 'X-Key: ${token}', 'https://${host}/'] },
            { run: 'test -n ${token}', env: { KEY: '${token}' } },
          ],
        }),
      }),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const warnings = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('secret-argv'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/migrate\.yaml:\d+:\d+ warning secret-argv: secret var 'token' .*'ps'.*env:/);
    expect(box.run(['validate', '--strict', 'migrate.yaml']).code).toBe(2);
  });

  it('--set for a secret warns that it lands in ps and shell history, and points at the env variable', () => {
    const box = sandbox(
      rb({ vars: { token: { env: 'API_TOKEN', secret: true } }, stages: stage({ steps: [{ run: 'true' }] }) }),
    );
    const r = box.run(['plan', '1', '--set', 'token=hunter2-secret']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--set token: .*'ps'.*shell history.*API_TOKEN/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});

describe('URLs and JSON bodies', () => {
  it("a value of '..' in a URL path segment is refused before anything runs", async () => {
    const s = await server({ '/status': () => ({ json: 'admin' }), '/api/%252e%252e/status': () => ({ json: 'ok' }) });
    const box = sandbox(
      rb({
        vars: { base: { default: s.url }, x: { default: 'x' } },
        stages: stage({ steps: [{ run: 'touch ran' }, { http: { url: '${base}/api/${x}/status' } }] }),
      }),
    );
    for (const evil of ['..', '.']) {
      const r = await box.runAsync(['stage', '1', '--yes', '--set', `x=${evil}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/migrate\.yaml:\d+:\d+.*path segment/);
    }
    expect(s.requests).toEqual([]);
    expect(box.exists('ran')).toBe(false);
    expect((await box.runAsync(['stage', '1', '--yes', '--set', 'x=%2e%2e'])).code).toBe(0);
    expect(s.requests.map((q) => q.url)).toEqual(['/api/%252e%252e/status']);
  });

  it('a JSON string body escapes its values: no value adds a key', async () => {
    const s = await server({ 'POST /users': () => ({ status: 201, json: {} }) });
    const box = sandbox(
      rb({
        vars: { base: { default: s.url }, who: { default: 'x' } },
        stages: stage({ steps: [{ http: { url: '${base}/users', method: 'POST', body: '{"user":"${who}"}' } }] }),
      }),
    );
    const r = await box.runAsync(['stage', '1', '--yes', '--set', 'who=eve","role":"admin']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(s.requests[0]?.body ?? '')).toEqual({ user: 'eve","role":"admin' });
  });
});

/** A server on 127.0.0.1 that records each request's path and headers and answers with `answer`. */
async function recording(answer: (url: string, res: import('node:http').ServerResponse) => void) {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const srv = createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    answer(req.url!, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  servers.push({ url, requests: [], close: () => new Promise((r) => srv.close(() => r())) });
  return { url, seen };
}
const ok = (res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{}');
};

/** A server whose /start redirects to `target` (given the URL of a second origin), and that second origin. */
async function redirecting(target: (other: string) => string) {
  const other = await recording((_u, res) => ok(res));
  const front = await recording((u, res) => {
    if (u === '/start') {
      res.writeHead(302, { location: target(other.url) });
      res.end();
    } else ok(res);
  });
  return { frontUrl: front.url, seen: other.seen.map((x) => x.headers), first: front, otherSeen: other.seen };
}

describe('redirects', () => {
  const box = (base: string) =>
    sandbox(
      rb({
        vars: { base: { default: base }, token: { env: 'TOKEN', secret: true } },
        stages: stage({
          preflight: [{ name: 'h', http: { url: '${base}/start', headers: { 'X-Api-Key': '${token}' } } }],
          steps: [{ run: 'true' }],
        }),
      }),
    );

  it('a secret header does not follow a redirect to another origin', async () => {
    const { frontUrl, otherSeen } = await redirecting((other) => `${other}/steal`);
    const b = box(frontUrl);
    const r = await b.runAsync(['stage', '1', '--yes'], { TOKEN: 'hunter2-secret' });
    expect(otherSeen.filter((q) => q.headers['x-api-key'])).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/HTTP 302/);
  });

  it('an http -> https redirect to another port of the same host is another origin: not followed', async () => {
    // Another port may be another service (anyone's): the key would go to it over TLS.
    const { frontUrl } = await redirecting((other) => other.replace('http:', 'https:') + '/steal');
    const r = await box(frontUrl).runAsync(['stage', '1', '--yes'], { TOKEN: 'hunter2-secret' });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/HTTP 302/);
  });

  it('a redirect within the same origin is followed, headers and all', async () => {
    const { frontUrl, first } = await redirecting(() => '/here');
    const r = await box(frontUrl).runAsync(['stage', '1', '--yes'], { TOKEN: 'hunter2-secret' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(first.seen.map((q) => [q.url, q.headers['x-api-key']])).toEqual([
      ['/start', 'hunter2-secret'],
      ['/here', 'hunter2-secret'],
    ]);
  });
});

describe('resource limits', () => {
  it('an http reply larger than max_body is refused while it streams', async () => {
    const big = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const more = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += 1 << 20;
          if (!res.write(Buffer.alloc(1 << 20, 97))) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      more();
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(big.address() as AddressInfo).port}`;
    servers.push({
      url,
      requests: [],
      close: () =>
        new Promise((r) => {
          big.closeAllConnections();
          big.close(() => r());
        }),
    });
    const b = sandbox(
      rb({
        vars: { base: { default: url } },
        stages: stage({
          preflight: [{ name: 'big', http: { url: '${base}/', max_body: '1MB' } }],
          steps: [{ run: 'true' }],
        }),
      }),
    );
    const r = await b.runAsync(['stage', '1', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/larger than 1MB \(max_body\)/);
  });

  it('a 40 MB output line is cut, quickly, and never journaled whole', () => {
    const b = sandbox(
      rb({ stages: stage({ steps: [{ run: "head -c 40000000 /dev/zero | tr '\\0' a; echo; echo done" }] }) }),
    );
    const started = Date.now();
    const r = b.run(['stage', '1', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(statSync(join(b.dir, '.migrate/journal.jsonl')).size).toBeLessThan(100_000);
    expect(r.stdout.length).toBeLessThan(100_000);
    expect(r.stdout).toMatch(/more characters cut/);
  });

  it('a flood of output lines is shown up to a limit; the tail is kept', () => {
    const b = sandbox(rb({ stages: stage({ steps: [{ run: 'seq 1 200000' }] }) }));
    const r = b.run(['stage', '1', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').length).toBeLessThan(20_000);
    expect(r.stdout).toMatch(/190000 more lines not shown/);
    expect(b.journal().find((e) => e.event === 'step.succeeded')!.tail).toMatch(/200000$/);
  });
});
