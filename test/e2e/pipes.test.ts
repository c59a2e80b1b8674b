// A reader that goes away (`| head -1`) ends the command quietly, with its normal exit code.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { runbook, sandbox } from '../helpers/sandbox.js';

/**
 * The command's own exit code and stderr, with its stdout read by `head -1`, or
 * by a reader that is gone before the first write (what `head -1` is to the
 * second write, without the race).
 */
function intoHead(args: string[], cwd: string, reader = 'true') {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const r = spawnSync(
    'bash',
    ['-c', `'${process.execPath}' '${BIN}' ${quoted} 2>err | ${reader} >/dev/null; echo \${PIPESTATUS[0]}; cat err`],
    { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' } },
  );
  const [code, ...stderr] = r.stdout.split('\n');
  return { code: Number(code), stderr: stderr.join('\n') };
}

describe('a closed stdout', () => {
  it('validate | head -1: no EPIPE, exit 0', () => {
    const box = sandbox(runbook('  - id: 1\n    name: one\n    steps: [{ id: a, run: "true", undo: "true" }]\n'));
    for (let i = 0; i < 3; i++) {
      const r = intoHead(['validate', `${ROOT}/runbooks`, `${ROOT}/runbooks`], box.dir);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(r.code).toBe(0);
      const plain = intoHead(['validate', 'migrate.yaml'], box.dir, 'head -1');
      expect(plain.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(plain.code).toBe(0);
    }
  });

  it('status | head -1: no EPIPE, exit 0', () => {
    const box = sandbox(runbook('  - id: 1\n    name: one\n    steps: [{ id: a, run: "true", undo: "true" }]\n'));
    expect(box.run(['stage', '1']).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = intoHead(['status'], box.dir);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(r.code).toBe(0);
      const h = intoHead(['history'], box.dir, 'head -1');
      expect(h.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(h.code).toBe(0);
    }
  });
});
