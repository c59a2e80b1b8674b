// HTTP steps and checks against a real server; notifications by command and webhook.
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Served } from '../helpers/http.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

let server: Served | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('http', () => {
  it('steps send requests with interpolated, encoded values; checks read JSON paths', async () => {
    let rate = 0.01;
    server = await serve({
      'POST /flags': () => ({ json: { ok: true } }),
      '/metrics': () => ({ json: { errors: { rate } } }),
      '/health': () => ({ text: 'ok' }),
    });
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    preflight:\n      - { name: healthy, http: { url: "\${base}/health" } }\n    steps:\n      - http: { url: "\${base}/flags?name=\${flag}", method: POST, body: { enable: "\${flag}" }, expect: status == 200 }\n        undo: "true"\n    monitor:\n      duration: 300ms\n      interval: 100ms\n      checks:\n        - { name: error rate, http: { url: "\${base}/metrics", json: errors.rate }, expect: value < 0.05 }\n`,
        `vars:\n  base: { default: "${'http://x'}" }\n  flag: { default: "a b&c" }\n`,
      ),
    );
    const r = await box.runAsync(['stage', '1', '--set', `base=${server.url}`]);
    expect(r.code, r.stderr).toBe(0);
    const post = server.requests.find((q) => q.method === 'POST')!;
    expect(post.url).toBe('/flags?name=a%20b%26c');
    expect(JSON.parse(post.body)).toEqual({ enable: 'a b&c' });
    expect(box.journal().find((e) => e.event === 'check.sample')).toMatchObject({ value: 0.01, result: 'passed' });
    rate = 0.2;
    const box2 = sandbox(box.read('migrate.yaml'));
    const r2 = await box2.runAsync(['stage', '1', '--set', `base=${server.url}`]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('error rate: 0.2 is not < 0.05');
  });

  it('check headers carry var values as they are (a header is not a URL)', async () => {
    server = await serve({ '/metrics': () => ({ json: { ok: 1 } }) });
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    irreversible: true\n    preflight:\n      - { name: authed, http: { url: "\${base}/metrics", headers: { Authorization: "Bearer \${token}" } } }\n    steps: [{ run: "true" }]\n`,
        'vars:\n  base: { default: "http://x" }\n  token: { env: TOKEN, secret: true }\n',
      ),
    );
    const r = await box.runAsync(['check', '1', '--set', `base=${server.url}`], { TOKEN: 'tok/en+1 x' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer tok/en+1 x');
  });

  it('a refused connection is an error sample, not a failure', async () => {
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ run: "true", undo: "true" }]\n    monitor:\n      duration: 5s\n      interval: 50ms\n      error_limit: 2\n      checks: [{ name: down, http: { url: "http://127.0.0.1:2/x" }, expect: status == 200 }]\n`,
      ),
    );
    const r = await box.runAsync(['stage', '1']);
    expect(r.code).toBe(1);
    expect(
      box
        .journal()
        .filter((e) => e.event === 'check.sample')
        .map((e) => e.result),
    ).toEqual(['error', 'error']);
    expect(r.stderr).toContain('consecutive probe error, error_limit 2');
  });
});

describe('notifications', () => {
  it('run a command once per matching event, with the event as JSON; webhooks receive a POST', async () => {
    server = await serve({ 'POST /hook': () => ({ text: 'ok' }) });
    const box = sandbox(
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ id: a, run: "true", undo: "true" }]\n    monitor:\n      duration: 5s\n      interval: 50ms\n      tolerate: 2\n      checks: [{ name: bad, command: "echo 9", expect: value < 1 }]\n`,
        `notify:\n  - on: [stage.failed, rollback.completed]\n    run: cat >> notified.jsonl; echo >> notified.jsonl\n  - on: [monitor.breach]\n    webhook: "${'${hook}'}"\nvars:\n  hook: { default: "http://x" }\n`,
      ),
    );
    const r = await box.runAsync(['stage', '1', '--set', `hook=${server.url}/hook`]);
    expect(r.code).toBe(1);
    const sent = box.lines('notified.jsonl').map((l) => JSON.parse(l));
    expect(sent.map((e) => e.event)).toEqual(['stage.failed', 'rollback.completed']);
    expect(sent[0]).toMatchObject({ runbook: 't', stage: 1, reason: expect.stringContaining('bad: 9 is not < 1') });
    expect(server.requests.filter((q) => q.url === '/hook')).toHaveLength(1);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ event: 'monitor.breach' });
  });

  it('a webhook URL a var makes unsendable says why; a redirect is not followed', async () => {
    server = await serve({
      'POST /hook': () => ({ status: 302, headers: { location: 'http://127.0.0.1:2/elsewhere' } }),
    });
    const rb = (hook: string) =>
      runbook(
        `  - id: 1\n    name: s1\n    steps: [{ id: a, run: "false", undo: "true" }]\n`,
        `notify:\n  - on: [stage.failed]\n    webhook: "${'${hook}'}"\nvars:\n  hook: { default: "${hook}" }\n`,
      );
    const blocked = await sandbox(rb('http://127.0.0.1:22/hook')).runAsync(['stage', '1']);
    expect(blocked.stdout + blocked.stderr).toMatch(/webhook URL http:\/\/127\.0\.0\.1:22\/hook names port 22/);
    const moved = await sandbox(rb(`${server.url}/hook`)).runAsync(['stage', '1']);
    expect(moved.stdout + moved.stderr).toMatch(/webhook answered HTTP 302/);
    expect(server.requests.filter((q) => q.url === '/hook')).toHaveLength(1);
  });

  it('samples are not notifiable', () => {
    const box = sandbox(
      runbook(
        `  - { id: 1, name: s1, irreversible: true, steps: [{ run: "true" }] }\n`,
        'notify:\n  - on: [check.sample]\n    run: "true"\n',
      ),
    );
    const r = box.run(['validate', 'migrate.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('happens many times a run');
  });
});
