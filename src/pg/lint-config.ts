/**
 * Which lint rules apply where: safety rules on by default, hygiene rules and
 * policy rules (plain TRUNCATE) opt-in. Set per runbook and per step with
 * `lint:`, and `validate --strict` turns hygiene on.
 */

/** The `lint:` setting of a runbook or a step. */
export interface LintSettings {
  /** Target PostgreSQL major version (runbook only). */
  postgres?: number;
  /** Also report the hygiene rules. */
  hygiene?: boolean;
  /** Opt-in rules to report (e.g. truncate). */
  enable?: string[];
  /** Rules not to report at all (they do not raise risk either). */
  disable?: string[];
}

export const DEFAULT_POSTGRES = 14;

export const SAFETY_CODES = [
  'drop-database',
  'drop-table',
  'drop-schema',
  'drop-column',
  'truncate-cascade',
  'rename-table',
  'rename-column',
  'rename-schema',
  'rename-enum-value',
  'alter-column-type',
  'add-column-not-null',
  'add-column-default-rewrite',
  'volatile-default',
  'add-column-rewrite',
  'json-column',
  'set-not-null',
  'drop-not-null',
  'index-not-concurrent',
  'concurrently-in-transaction',
  'concurrently-not-idempotent',
  'detach-partition-not-concurrent',
  'foreign-key-not-valid',
  'check-not-valid',
  'unique-not-using-index',
  'exclusion-constraint',
  'validate-in-same-transaction',
  'alter-domain-add-constraint',
  'table-rewrite',
  'update-without-where',
  'delete-without-where',
  'dml-with-ddl',
  'transaction-control',
  'nested-transaction',
  'begin-without-commit',
] as const;
/** Off unless enabled: a team's policy, not a hazard everyone shares. */
export const POLICY_CODES = ['truncate'] as const;
export const HYGIENE_CODES = [
  'prefer-bigint',
  'prefer-identity',
  'prefer-text',
  'prefer-timestamptz',
  'identifier-too-long',
  'idempotent',
  'enum-value-ordering',
  'duplicate-column-assignment',
] as const;
export const ALL_CODES: readonly string[] = [...SAFETY_CODES, ...POLICY_CODES, ...HYGIENE_CODES];

export interface EffectiveLint {
  postgres: number;
  hygiene: boolean;
  /** Whether a finding with this code is reported. */
  reports(code: string): boolean;
}

/** Step settings refine the runbook's; --strict adds hygiene. */
export function effectiveLint(runbook: LintSettings = {}, step: LintSettings = {}, strict = false): EffectiveLint {
  const hygiene = step.hygiene ?? runbook.hygiene ?? strict;
  const enabled = new Set([...(runbook.enable ?? []), ...(step.enable ?? [])]);
  const disabled = new Set([...(runbook.disable ?? []), ...(step.disable ?? [])]);
  for (const c of step.enable ?? []) disabled.delete(c);
  const on = (code: string) =>
    (POLICY_CODES as readonly string[]).includes(code)
      ? enabled.has(code)
      : (HYGIENE_CODES as readonly string[]).includes(code)
        ? hygiene || enabled.has(code)
        : true;
  return {
    postgres: runbook.postgres ?? DEFAULT_POSTGRES,
    hygiene,
    reports: (code) => on(code) && !disabled.has(code),
  };
}
