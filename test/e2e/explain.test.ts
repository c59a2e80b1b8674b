/** `migrate explain <code>` prints the shipped docs' section for a diagnostic or lint code. */
import { describe, expect, it } from 'vitest';
import { migrate } from '../helpers/cli.js';

describe('migrate explain', () => {
  it("prints a diagnostic code's section", () => {
    const r = migrate(['explain', 'needs-cycle']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^needs-cycle\n/);
    expect(r.stdout).toContain('need each other in a cycle');
    expect(r.stdout).toContain('(docs/diagnostics.md)');
    expect(r.stdout).not.toContain('### ');
  });

  it('prints a lint rule with its lock, by its full code or as allow: writes it', () => {
    for (const code of ['sql-set-not-null', 'set-not-null', 'SQL-SET-NOT-NULL']) {
      const r = migrate(['explain', code]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^sql-set-not-null\n/);
      expect(r.stdout).toContain('ACCESS EXCLUSIVE');
      expect(r.stdout).toContain('NOT VALID');
    }
  });

  it('explains any yaml-* code with the YAML section', () => {
    const r = migrate(['explain', 'yaml-duplicate-key']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('yaml-duplicate-key');
  });

  it('an unknown code exits 2 and lists close matches', () => {
    const r = migrate(['explain', 'needs-cylce']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no diagnostic or lint code 'needs-cylce'");
    expect(r.stderr).toMatch(/close matches: needs-cycle/);
    const far = migrate(['explain', 'drop-colum']);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('sql-drop-column');
    expect(far.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('without a code lists every code; --json gives the section as data', () => {
    const r = migrate(['explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  no-rollback');
    expect(r.stdout).toContain('  sql-drop-table');
    const j = JSON.parse(migrate(['explain', 'no-rollback', '--json']).stdout);
    expect(j).toMatchObject({ code: 'no-rollback', doc: 'docs/diagnostics.md' });
    expect(j.text).toContain('irreversible');
  });
});
