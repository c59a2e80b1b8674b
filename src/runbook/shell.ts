/**
 * Shell interpolation by design, not by escaping: a `${x}` in shell text is
 * rendered as a reference to the environment variable MIGRATE_VAR_x, and the
 * value reaches the shell only through the environment. The value is then
 * data in every context (comments, `$(...)`, here-docs, `$'...'`, nested
 * `sh -c '...'`): no value is ever part of the script text.
 *
 * The scanner (shell-scan.ts) decides which spelling of the reference reads
 * best where it lands (`"$V"` bare, `${V}` inside double quotes); a wrong guess
 * can change how a value is split, never run it. It also finds the two places
 * where data still becomes code, which no spelling fixes: bash arithmetic and
 * an argument another parser runs (`sh -c "..."`). Those are refused: by
 * validate, and here again as a value is rendered.
 */
import { UnsafeValueError } from '../errors.js';
import { parseTemplate, type Lookup } from './template.js';
import { ShellContext, shellRefs, type ShellRef } from './shell-scan.js';

export { ShellContext, shellRefs, type ShellRef };

/** Environment variable name for a var; names that are not identifiers get a hex spelling. */
export function envName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? `MIGRATE_VAR_${name}`
    : `MIGRATE_VARX_${Buffer.from(name).toString('hex')}`;
}

/** The template's parts, each `${name}` paired with where it lands. */
function partsWithRefs(src: string): Array<{ text: string } | { name: string; ref: ShellRef }> {
  const refs = shellRefs(src);
  let k = 0;
  // shellRefs reports exactly one ref per `${name}` part of the same template, in order.
  return parseTemplate(src).map((p) => ('text' in p ? p : { name: p.name, ref: refs[k++]! }));
}

export interface ShellOptions {
  /** Whether this var may start with `-` where a command reads options (allow_dash or a pattern). */
  allowsDash?: (name: string) => boolean;
}

/** The script with references, and the environment that carries the values. */
export function renderShell(
  src: string,
  lookup: Lookup,
  opts: ShellOptions = {},
): { script: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const script = partsWithRefs(src)
    .map((p) => {
      if ('text' in p) return p.text;
      const { ref } = p;
      const value = lookup(p.name);
      if (ref.code) throw codeError(p.name, ref.code);
      if (ref.arith && !INTEGER.test(value)) throw arithError(p.name);
      if (startsOption(ref, lookup, (n) => opts.allowsDash?.(n) ?? false)) throw dashError(p.name);
      const v = envName(p.name);
      env[v] = value;
      // In $((...)) a whole number needs no quotes, and dash refuses them there.
      return ref.context === ShellContext.Double ||
        ref.context === ShellContext.HereDoc ||
        ref.context === ShellContext.Arithmetic
        ? `\${${v}}`
        : `"$${v}"`;
    })
    .join('');
  return { script, env };
}

/**
 * A shell template ready to run: the script, and the environment carrying its
 * values (plus `base`, e.g. a step's own env:).
 */
export function shellCommand(
  shell: string,
  template: string,
  vars: { value(n: string): string; allowsDash(n: string): boolean },
  base: Record<string, string> = {},
) {
  const r = renderShell(template, (n) => vars.value(n), { allowsDash: (n) => vars.allowsDash(n) });
  return { cmd: { shell, script: r.script }, env: { ...base, ...r.env } };
}

/** Whether this value would begin its word with `-` (after only empty values) where options are read, and the var does not allow it. */
export function startsOption(ref: ShellRef, lookup: Lookup, allowsDash: (name: string) => boolean): boolean {
  return (
    ref.wordStart &&
    ref.prefix.every((n) => lookup(n) === '') &&
    lookup(ref.name).startsWith('-') &&
    !allowsDash(ref.name)
  );
}

/** The ref whose value would begin an argv word with `-` (after only empty values), if that var does not allow it. */
export function argvOption(
  word: string,
  lookup: Lookup,
  allowsDash: (name: string) => boolean,
): { name: string; at: number } | null {
  for (const p of parseTemplate(word)) {
    if ('text' in p) return null;
    const v = lookup(p.name);
    if (v === '') continue;
    return v.startsWith('-') && !allowsDash(p.name) ? p : null;
  }
  return null;
}

/** What bash arithmetic may be given: a plain whole number (no expression, no name, no subscript). */
export const INTEGER = /^-?[0-9]+$/;

export function arithError(name: string): UnsafeValueError {
  return new UnsafeValueError(
    `the value of '${name}' lands in bash arithmetic, which would evaluate it as code unless it is a whole number`,
    `declare the var 'type: integer' (checked before anything runs), or keep it out of $((...)), ((...)), [[ -eq ]], let and subscripts`,
  );
}

export function codeError(name: string, by: string): UnsafeValueError {
  return new UnsafeValueError(
    `the value of '${name}' is expanded into code that ${by} parses`,
    'see validate (shell-nested-code)',
  );
}

export function dashError(name: string): UnsafeValueError {
  return new UnsafeValueError(
    `the value of '${name}' starts with '-' where a command reads options`,
    `if that is intended, give the var 'allow_dash: true' or a 'pattern:' that admits it`,
  );
}

/**
 * What plans, journal displays and task titles show: the template with each
 * value (masked) in place, quoted for its context so it reads as what runs.
 */
export function displayShell(src: string, show: Lookup): string {
  return partsWithRefs(src)
    .map((p) => {
      if ('text' in p) return p.text;
      const { ref } = p;
      const v = show(p.name);
      if (ref.context === ShellContext.Bare) return shellQuote(v);
      if (ref.context === ShellContext.Arithmetic) return INTEGER.test(v) ? v : shellQuote(v);
      if (ref.context === ShellContext.Double || ref.context === ShellContext.HereDoc)
        return v.replace(/["\\$`]/g, (c) => `\\${c}`);
      return v;
    })
    .join('');
}

export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
