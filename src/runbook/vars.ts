/**
 * Resolving vars (SPEC 2.4): default < env < --env entry < --set. The result
 * knows which values are secret, so anything printable can be masked.
 */
import { UsageError } from '../errors.js';
import { didYouMean, quote } from './diagnostics.js';
import { MASK, Redactor, registerSecrets } from './redact.js';
import type { Runbook } from './types.js';

export { MASK };

export interface VarInputs {
  env?: Record<string, string | undefined>;
  environment?: string;
  set?: Record<string, string>;
  builtins?: Record<string, string>;
}

/** What resolving learned about the vars besides their values. */
export interface VarTraits {
  /** Declared vars (the rest are the runbook's own names: stage, weight, flag). */
  declared?: Set<string>;
  /** Vars whose value may start with `-` where options are read (allow_dash, or a pattern that vets them). */
  dashOk?: Set<string>;
  /** Things the operator should hear about the inputs (a secret given with --set). */
  notices?: string[];
  /** Vars whose value was refused (an emergency goes on without them): using one throws, with why. */
  refused?: Map<string, string>;
}

export class Vars {
  private readonly redactor: Redactor;

  constructor(
    private readonly values: Map<string, string>,
    private readonly secrets: Set<string>,
    readonly unset: string[],
    private readonly traits: VarTraits = {},
  ) {
    this.redactor = new Redactor(this.secretValues());
    registerSecrets(this.secretValues());
  }

  get notices(): string[] {
    return this.traits.notices ?? [];
  }

  /** Whether this var may start with `-` where a command reads options; the runbook's own names (weight, flag) may. */
  allowsDash(name: string): boolean {
    return (this.traits.dashOk?.has(name) ?? false) || !(this.traits.declared?.has(name) ?? false);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The real value, for execution only. Throws when unset, or refused. */
  value(name: string): string {
    const why = this.traits.refused?.get(name);
    if (why !== undefined)
      throw new UsageError(`refused: ${why}`, `fix the value (--set ${name}=...), then run this again`);
    const v = this.values.get(name);
    if (v === undefined)
      throw new UsageError(
        `var '${name}' has no value`,
        `set it with --set ${name}=..., its env variable, or a default`,
      );
    return v;
  }

  /** The printable value: secrets masked, unset shown as ${name}. */
  display(name: string): string {
    if (this.secrets.has(name)) return MASK;
    return this.values.get(name) ?? `\${${name}}`;
  }

  isSecret(name: string): boolean {
    return this.secrets.has(name);
  }

  /** The same vars with these refused (name -> why): nothing runs with them, and nothing runs with another value in their place. */
  refusing(refused: Map<string, string>): Vars {
    return new Vars(this.values, this.secrets, this.unset, { ...this.traits, refused });
  }

  /** Extra names for one scope (a canary's ${weight}), keeping the secrets; `checked` ones may not start with `-` where options are read. */
  with(extra: Record<string, string>, checked: string[] = []): Vars {
    const traits =
      checked.length === 0
        ? this.traits
        : {
            ...this.traits,
            declared: new Set([...(this.traits.declared ?? []), ...checked]),
            dashOk: new Set([...(this.traits.dashOk ?? [])].filter((n) => !checked.includes(n))),
          };
    return new Vars(new Map([...this.values, ...Object.entries(extra)]), this.secrets, this.unset, traits);
  }

  /** Every var's value for expressions: numbers where they parse. */
  scope(): Record<string, string | number> {
    // No prototype: a var named __proto__ or constructor is a name like any other.
    const out = Object.create(null) as Record<string, string | number>;
    for (const [k, v] of this.values) out[k] = v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
    return out;
  }

  /** Replace every secret, in every spelling it may take (encoded, quoted, base64), in free text. */
  mask(text: string): string {
    return this.redactor.mask(text);
  }

  /** Mask every string (and every number that spells a secret) in a value headed for output or the journal. */
  maskDeep<T>(value: T): T {
    return this.redactor.maskDeep(value) as T;
  }

  secretValues(): string[] {
    return [...this.secrets].map((n) => this.values.get(n)).filter((v): v is string => !!v);
  }
}

export function resolveVars(rb: Runbook, inputs: VarInputs = {}): Vars {
  const specs = rb.vars ?? {};
  const values = new Map<string, string>(Object.entries(inputs.builtins ?? {}));
  const secrets = new Set<string>();
  // Own keys only, here and below: a name like `constructor` is not on every object.
  const own = (o: object | undefined, k: string) => o !== undefined && Object.hasOwn(o, k);
  const environment =
    inputs.environment !== undefined && own(rb.environments, inputs.environment)
      ? rb.environments![inputs.environment]
      : undefined;
  if (inputs.environment !== undefined && !environment) {
    const known = Object.keys(rb.environments ?? {});
    throw new UsageError(
      `unknown environment '${quote(inputs.environment)}'${didYouMean(inputs.environment, known)}`,
      known.length ? `environments in this runbook: ${known.join(', ')}` : 'this runbook defines no environments',
    );
  }
  const envOverrides = environment?.vars ?? {};
  for (const name of Object.keys(inputs.set ?? {})) {
    if (!own(specs, name))
      throw new UsageError(
        `--set ${quote(name)}: no var '${quote(name)}' in this runbook${didYouMean(name, Object.keys(specs))}`,
      );
  }
  const unset: string[] = [];
  const dashOk = new Set<string>();
  const notices: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.secret) secrets.add(name);
    // A whole number's leading '-' is a sign: no option it could spell does harm.
    if (spec.allow_dash || spec.pattern !== undefined || spec.type === 'integer') dashOk.add(name);
    if (spec.secret && own(inputs.set, name)) {
      notices.push(
        `--set ${name}: a secret on the command line is visible in 'ps' and kept in shell history; ` +
          `set ${spec.env ? `the environment variable ${spec.env}` : `'env:' on the var and pass it in the environment`} instead`,
      );
    }
    let v: string | undefined = spec.default !== undefined ? String(spec.default) : undefined;
    if (spec.env !== undefined && own(inputs.env, spec.env) && inputs.env![spec.env] !== undefined)
      v = inputs.env![spec.env];
    if (own(envOverrides, name)) v = String(envOverrides[name]);
    if (own(inputs.set, name)) v = inputs.set![name];
    if (v === undefined) unset.push(name);
    else values.set(name, v);
  }
  return new Vars(values, secrets, unset, { declared: new Set(Object.keys(specs)), dashOk, notices });
}

/** Parse repeated `--set name=value` options. */
export function parseSetOptions(pairs: string[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects name=value, got '${quote(pair)}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
