/**
 * Checks on var values before anything runs: each var's `pattern:`, no
 * leading `-` where a command reads options, no `.`/`..` path segment made by
 * a value, string JSON bodies that stay JSON. Reported as located findings,
 * so a bad input is refused like a bad runbook (exit 2), pointing at the spot
 * where the value would have landed.
 */
import { error, quote, warning, type Finding, type Path } from './diagnostics.js';
import { argvOption, envName, INTEGER, shellRefs, ShellContext, startsOption, type ShellRef } from './shell.js';
import { looksLikeJson, referencedNames, renderJsonBody, renderUrl } from './template.js';
import type { HttpSpec, Runbook } from './types.js';
import { actions, checks } from './walk.js';
import type { Vars } from './vars.js';

interface Located {
  text: string;
  path: Path;
}
type Kind = 'shell' | 'argv' | 'url' | 'json';

/** Every template that lands in a shell, an argv, a URL or a JSON body, with its path. */
function* templates(rb: Runbook): Generator<Located & { kind: Kind }> {
  const http = function* (h: HttpSpec, path: Path): Generator<Located & { kind: Kind }> {
    yield { text: h.url, path: [...path, 'url'], kind: 'url' };
    if (typeof h.body === 'string' && looksLikeJson(h.body, h.headers))
      yield { text: h.body, path: [...path, 'body'], kind: 'json' };
  };
  for (const { value: a, path } of actions(rb)) {
    if (typeof a.run === 'string') yield { text: a.run, path: [...path, 'run'], kind: 'shell' };
    if (Array.isArray(a.run))
      for (const [i, w] of a.run.entries()) yield { text: w, path: [...path, 'run', i], kind: 'argv' };
    if (a.http) yield* http(a.http, [...path, 'http']);
  }
  for (const { value: c, path } of checks(rb)) {
    if (c.command !== undefined) yield { text: c.command, path: [...path, 'command'], kind: 'shell' };
    if (c.http) yield* http(c.http, [...path, 'http']);
  }
  for (const [i, n] of (rb.notify ?? []).entries()) {
    if (n.run !== undefined) yield { text: n.run, path: ['notify', i, 'run'], kind: 'shell' };
    if (n.webhook !== undefined) yield { text: n.webhook, path: ['notify', i, 'webhook'], kind: 'url' };
  }
  if (rb.flags?.store === 'command') {
    for (const key of ['get', 'set', 'unset', 'list'] as const) {
      const t = rb.flags[key];
      if (t !== undefined) yield { text: t, path: ['flags', key], kind: 'shell' };
    }
  }
}

/** Values that break a var's pattern or land where they would change what runs. */
export function checkValues(rb: Runbook, vars: Vars): Finding[] {
  const out: Finding[] = [];
  for (const [name, spec] of Object.entries(rb.vars ?? {})) {
    if (vars.has(name) && vars.value(name).includes('\0')) {
      out.push(
        error(
          ['vars', name],
          'var-nul',
          `var '${name}' contains a NUL byte, which no process argument or environment can carry`,
          { atKey: true },
        ),
      );
    }
    if (spec.type === 'integer' && vars.has(name) && !INTEGER.test(vars.value(name))) {
      out.push(
        error(
          ['vars', name, 'type'],
          'var-type',
          `var '${name}' = '${quote(vars.display(name))}' is not a whole number (type: integer)`,
        ),
      );
    }
    if (spec.pattern === undefined || !vars.has(name)) continue;
    const re = anchored(spec.pattern);
    if (re && !re.test(vars.value(name))) {
      out.push(
        error(
          ['vars', name, 'pattern'],
          'var-pattern',
          `var '${name}' = '${quote(vars.display(name))}' does not match its pattern ${spec.pattern}`,
        ),
      );
    }
  }
  // Names without a value here (unset, or the run's own: weight, flag) are checked when they are rendered.
  const known = (n: string) => vars.has(n);
  const lookup = (n: string) => (known(n) ? vars.value(n) : 'x');
  const allows = (n: string) => !known(n) || vars.allowsDash(n);
  const dash = (n: string, path: Path, at: number) => {
    out.push(
      error(
        path,
        'var-dash',
        `the value of '${n}' ('${quote(vars.display(n))}') starts with '-' where a command reads options; ` +
          `give the var 'allow_dash: true' or a 'pattern:' if that is intended`,
        { offset: at },
      ),
    );
  };
  for (const t of templates(rb)) {
    if (t.kind === 'shell')
      for (const r of shellRefs(t.text)) if (startsOption(r, lookup, allows)) dash(r.name, t.path, r.at);
    if (t.kind === 'argv') {
      const culprit = argvOption(t.text, lookup, allows);
      if (culprit) dash(culprit.name, t.path, culprit.at);
    }
    const refused = (render: () => unknown) => {
      try {
        render();
        return null;
      } catch (e) {
        return vars.mask((e as Error).message);
      }
    };
    const url = t.kind === 'url' ? refused(() => renderUrl(t.text, lookup)) : null;
    if (url) out.push(error(t.path, 'url-path', url));
    const json = t.kind === 'json' ? refused(() => renderJsonBody(t.text, lookup)) : null;
    if (json) out.push(error(t.path, 'json-body', json));
  }
  return out;
}

function anchored(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return null;
  }
}

/** Static rules: patterns compile and admit their defaults; shell references that this shell will not expand. */
export function varsWellFormed(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const [name, spec] of Object.entries(rb.vars ?? {})) {
    if (spec.type === 'integer' && spec.default !== undefined && !INTEGER.test(String(spec.default))) {
      out.push(
        error(
          ['vars', name, 'default'],
          'var-type',
          `var '${name}': the default '${spec.secret ? '***' : quote(String(spec.default))}' is not a whole number (type: integer)`,
        ),
      );
    }
    if (spec.pattern === undefined) continue;
    const re = anchored(spec.pattern);
    if (!re)
      out.push(
        error(['vars', name, 'pattern'], 'var-pattern', `var '${name}': pattern is not a valid regular expression`),
      );
    else if (spec.default !== undefined && !re.test(String(spec.default))) {
      out.push(
        error(
          ['vars', name, 'default'],
          'var-pattern',
          `var '${name}': the default '${spec.secret ? '***' : quote(String(spec.default))}' does not match its pattern ${spec.pattern}`,
        ),
      );
    }
  }
  const secret = (n: string) => rb.vars?.[n]?.secret === true;
  for (const t of templates(rb)) {
    if (t.kind === 'argv') {
      for (const r of referencedNames(t.text).filter((r) => secret(r.name))) {
        out.push(
          warning(
            t.path,
            'secret-argv',
            `secret var '${r.name}' in an argv run is visible in 'ps' to every user of the host while it runs; ` +
              `pass it in the env: of the step (env: { TOKEN: "\${${r.name}}" }) to a program that reads it from there`,
            { offset: r.at },
          ),
        );
      }
    }
    if (t.kind !== 'shell') continue;
    for (const r of shellRefs(t.text)) {
      if (r.code) out.push(error(t.path, 'shell-nested-code', nestedCodeMessage(r), { offset: r.at }));
      else if (r.arith && !wholeNumber(rb, r.name)) {
        out.push(
          error(
            t.path,
            'shell-arith',
            `'\${${r.name}}' lands in bash arithmetic ($((...)), ((...)), [[ -eq ]], let, declare -i, a subscript, a variable name), ` +
              `where bash evaluates a value such as a[$(cmd)] as code; declare the var 'type: integer' (its value is then checked to be a whole number before anything runs)`,
            { offset: r.at },
          ),
        );
      }
      const literal =
        r.context === ShellContext.Single ||
        r.context === ShellContext.Ansi ||
        r.context === ShellContext.QuotedHereDoc;
      if (literal && !r.nested) {
        out.push(
          warning(
            t.path,
            'shell-var-literal',
            `'\${${r.name}}' is inside quotes this shell does not expand: it stays the text ` +
              `"$${envName(r.name)}" unless a nested shell (sh -c '...') expands it; use double quotes to insert the value here`,
            { offset: r.at },
          ),
        );
      }
    }
  }
  return out;
}

/**
 * Names that are whole numbers by construction (a canary's weight, the stage)
 * or checked as they are rendered (a flag store's flag and value); declared
 * vars must say `type: integer`.
 */
const RUNTIME_NUMBERS = new Set(['weight', 'stage', 'flag', 'value']);
function wholeNumber(rb: Runbook, name: string): boolean {
  const spec = rb.vars?.[name];
  return spec ? spec.type === 'integer' : RUNTIME_NUMBERS.has(name);
}

function nestedCodeMessage(r: ShellRef): string {
  const head = `'\${${r.name}}' is expanded by this shell into code that ${r.code} parses: the value would run as code there. `;
  const by = r.code ?? '';
  if (by.endsWith('<<'))
    return `${head}Quote the terminator (<<'EOF'): the nested shell then expands it from the environment, as data`;
  if (by === 'ssh') {
    return (
      `${head}ssh joins its arguments into one command line for the remote shell, which has not got our environment: ` +
      `send the value on stdin (printf '%s' \${${r.name}} | ssh host 'read -r v; ...') or quote it with "$(printf %q \${${r.name}})"`
    );
  }
  if (/^(ba|da|k|mk|z|a)?sh -c$|^fish -c$|^(su|runuser) |^eval$|^trap$|^watch$/.test(by)) {
    return `${head}Use single quotes (${by === 'eval' || by === 'trap' ? by : by.split(' ')[0] + ' -c'} 'echo \${${r.name}}'): the nested shell then expands it from the environment, as data`;
  }
  return `${head}Pass it as a separate argument or through the environment instead (awk -v, python's sys.argv or os.environ, psql -v)`;
}
