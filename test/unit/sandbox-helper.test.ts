// The test helpers' own traps: a kill-loop trial hung for 240 s when the run ended before its delayed kill.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exited } from '../helpers/sandbox.js';

describe('exited', () => {
  it('resolves for a child that has already exited', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    expect(await exited(child)).toBe(3);
  }, 5_000);
});
