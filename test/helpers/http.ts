/** A real HTTP server on loopback for probes, steps and webhooks. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  url: string;
  requests: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function serve(
  routes: Record<
    string,
    (body: string) => { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  >,
): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, body, headers: req.headers });
      const path = req.url!.split('?', 1)[0] ?? '';
      const route = routes[`${req.method} ${path}`] ?? routes[path];
      const r = route ? route(body) : { status: 404, text: 'not found' };
      res.writeHead(r.status ?? 200, {
        'content-type': r.json !== undefined ? 'application/json' : 'text/plain',
        ...(r.headers ?? {}),
      });
      res.end(r.json !== undefined ? JSON.stringify(r.json) : (r.text ?? ''));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
