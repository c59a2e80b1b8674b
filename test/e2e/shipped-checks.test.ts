// The shipped runbooks' command checks, fed what the real commands print: a
// check that compares with the wrong type can never pass (or never fail).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, ROOT, tempDir } from '../helpers/cli.js';

/** `migrate check N --json` on a copy of a shipped runbook whose scripts print what is given. */
function checkWith(runbook: string, stage: number, scripts: Record<string, string>, set: string[] = []) {
  const dir = tempDir('pgx-shipped-');
  copyFileSync(join(ROOT, 'runbooks', runbook), join(dir, runbook));
  mkdirSync(join(dir, 'scripts'));
  for (const [name, output] of Object.entries(scripts))
    writeFileSync(join(dir, 'scripts', name), `#!/bin/sh\nprintf '%s\\n' '${output}'\n`, { mode: 0o755 });
  const r = migrate(['-r', runbook, 'check', String(stage), '--json', ...set.flatMap((s) => ['--set', s])], {
    cwd: dir,
  });
  return JSON.parse(r.stdout) as { check: string; result: string; value: unknown }[];
}

describe('otp-cleanup: the registry preflight', () => {
  // An RPC of `Foundation.Registry.ready?()` prints a bare true or false, which a check reads as a boolean.
  it.each([
    ['true', 'passed'],
    ['false', 'failed'],
  ])('the RPC printing %s makes the check %s', (printed, result) => {
    const checks = checkWith('otp-cleanup.yaml', 1, { 'rpc.sh': printed }, ['app_url=http://127.0.0.1:9']);
    expect(checks.find((c) => c.check === 'registry table exists')).toMatchObject({
      value: printed === 'true',
      result,
    });
  });
});
