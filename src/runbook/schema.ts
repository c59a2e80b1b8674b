/**
 * The runbook format, version 1, as JSON Schema (draft-07). One source of
 * truth: structure.ts interprets it to validate runbooks with located errors,
 * and the build writes it to schema/runbook.schema.json for editors.
 * `x-code` and `x-message` give a stable diagnostic code and a human message
 * where the generic ones would be vague.
 */
import { DURATION_OR_VAR_PATTERN } from './duration.js';

type S = Record<string, unknown>;
// A description beside $ref is ignored by validators but shown by editors and docs/runbook.md.

/** Var and environment-variable names. */
const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** An HTTP header name: RFC 9110's token (no space, colon or control character can split a header). */
const HEADER_NAME = {
  pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
  'x-message': "is not an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
};
const ref = (name: string, description?: string): S => ({
  $ref: `#/definitions/${name}`,
  ...(description ? { description } : {}),
});
const str = (description: string, extra: S = {}): S => ({ type: 'string', description, ...extra });
const obj = (description: string, properties: Record<string, S>, required: string[] = [], extra: S = {}): S => ({
  type: 'object',
  description,
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const arr = (items: S, description: string, extra: S = {}): S => ({ type: 'array', items, description, ...extra });
const intMin = (min: number, description: string): S => ({ type: 'integer', minimum: min, description });

const onBreach = {
  type: 'string',
  enum: ['rollback', 'pause', 'continue'],
  description: 'What a breach does: roll the stage back (default), ask the operator, or only record it.',
};
const onNoData = {
  type: 'string',
  enum: ['fail', 'pass', 'inconclusive'],
  description: 'How a sample with no data counts (default inconclusive: ask the operator).',
};

const http = obj(
  'An HTTP request.',
  {
    url: str('URL; ${var} values are percent-encoded.'),
    method: str('HTTP method (default GET).', { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] }),
    headers: {
      type: 'object',
      propertyNames: HEADER_NAME,
      additionalProperties: { type: 'string' },
      description: 'Request headers.',
    },
    body: { description: 'Request body: a string, or an object sent as JSON.', type: ['string', 'object'] },
    json: str('Dotted path into the JSON response, e.g. "errors.rate" or "items.0.id".'),
    expect: str('For http steps: an expression over status and value that must hold.'),
    timeout: ref('duration', 'Give up on the request after this long.'),
    max_body: str('Largest reply body read, e.g. 512KB or 50MB (default 10MB); a longer reply is an error.', {
      pattern: '^[0-9]+(B|KB|MB|GB)$',
      'x-code': 'size',
      'x-message': 'sizes are a number with B, KB, MB or GB, e.g. 10MB',
    }),
  },
  ['url'],
);

const prometheus = obj(
  'An instant query through the Prometheus HTTP API (/api/v1/query).',
  {
    url: str('Prometheus base URL, e.g. "${prom_url}" (the API path is added).'),
    query: str('PromQL; `value` is its one number. ${var} values become PromQL string literals, never query text.'),
    compare: str(
      'A second query; its number is `compare` in the expectation ("value < compare * 3"), and messages show both.',
    ),
    headers: {
      type: 'object',
      propertyNames: HEADER_NAME,
      additionalProperties: { type: 'string' },
      description: 'Request headers, e.g. Authorization: "Bearer ${token}" with a secret var.',
    },
    timeout: ref('duration', 'Give up on the query after this long (an error sample).'),
    at: ref('duration', 'Evaluate the query this long ago instead of now.'),
    aggregate: {
      type: 'string',
      enum: ['max', 'min', 'sum', 'avg'],
      description:
        'How several series become one value; without it several series are an error sample. An empty result is no data.',
    },
  },
  ['url', 'query'],
);

const sqlFields: Record<string, S> = {
  sql: str('SQL statements; ${var} values become bound parameters.'),
  database: str('Connection URL (default: var db, else DATABASE_URL).'),
  transaction: { type: 'boolean', description: 'Run in one transaction (default true).' },
  lock_timeout: ref(
    'duration',
    'SET LOCAL lock_timeout (default 1s); a statement that times out on a lock is retried with backoff.',
  ),
  statement_timeout: ref('duration', 'SET LOCAL statement_timeout.'),
};

const lintCodes = (what: string): S => arr({ type: 'string' }, what);
/** SQL lint settings; the runbook's apply to every step, a step's refine them. */
const lintSettings = (scope: 'runbook' | 'step'): S =>
  obj(`SQL lint settings for this ${scope}.`, {
    ...(scope === 'runbook'
      ? {
          postgres: {
            type: 'integer',
            minimum: 9,
            maximum: 99,
            description: 'Target PostgreSQL major version (default 14): some rules differ before 11, 12 and 14.',
          },
        }
      : {}),
    hygiene: {
      type: 'boolean',
      description:
        'Also report hygiene rules (bigint, identity, text, timestamptz, identifier length, IF [NOT] EXISTS, enum order, duplicate assignments); on under validate --strict.',
    },
    enable: lintCodes('Opt-in rules to report, e.g. truncate.'),
    disable: lintCodes('Rules not to report (they do not raise the risk either).'),
  });

const actionFields: Record<string, S> = {
  name: str('What the action does, for people.'),
  run: {
    description: 'A shell string, or an argv array run without a shell.',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
  },
  ...sqlFields,
  http,
  pause: {
    description: 'Wait for a duration, or until the operator confirms.',
    oneOf: [
      ref('duration'),
      obj(
        'Wait for the operator.',
        { until: { const: 'confirm', description: 'Only "confirm".' }, message: str('Question to ask.') },
        ['until'],
      ),
    ],
  },
  flag: obj(
    'Set a feature flag in the flag store; undone automatically.',
    {
      name: str('Flag name.', {
        pattern: '^[A-Za-z0-9_.:-]+$',
        'x-code': 'flag-name',
        'x-message': 'flag names use letters, digits, _ . : -',
      }),
      value: { description: 'The value to set.', type: ['string', 'number', 'boolean', 'null'] },
    },
    ['name', 'value'],
  ),
  env: {
    type: 'object',
    propertyNames: { pattern: NAME_PATTERN },
    additionalProperties: { type: ['string', 'number', 'boolean'] },
    description: 'Extra environment variables.',
  },
  cwd: str('Working directory, relative to the runbook.'),
  timeout: ref('duration', 'Kill the action (its whole process group) after this long (default: defaults.timeout).'),
};

const step = obj('A step: one action, with its place in the task graph.', {
  id: str('Identifier, required when another step needs this one.', {
    pattern: '^[A-Za-z0-9_.-]+$',
    'x-code': 'step-id',
    'x-message': 'step ids use letters, digits, _ . -',
  }),
  ...actionFields,
  needs: arr(
    { type: 'string' },
    'Steps that must complete first. Without needs a step waits for the step declared before it; `needs: []` runs it with the first.',
  ),
  when: str('An expression; false skips the step.'),
  retries: intMin(0, 'Extra attempts after a failure.'),
  retry_delay: ref('duration', 'Wait between retries.'),
  continue_on_error: { type: 'boolean', description: 'A failure is recorded but does not fail the stage.' },
  undo: {
    description: 'How to reverse this step: a shell string or an action.',
    oneOf: [{ type: 'string' }, ref('action')],
  },
  undo_sql: str('SQL that reverses an sql step.'),
  lint: lintSettings('step'),
  allow: arr(
    { type: 'string' },
    'SQL lint findings this step accepts on purpose (e.g. drop-column in a contract stage): no warning, but they still raise the effective risk.',
  ),
});

const check = obj(
  'A health or readiness check: one probe and an optional expectation.',
  {
    name: str('What is checked, for people.'),
    command: str('Shell command; passes on exit 0, or its trimmed stdout is `value`.'),
    http,
    sql: str('Query; `value` is the first column of the first row, `rows` the row count.'),
    database: str('Connection URL for sql checks.'),
    prometheus,
    expect: str(
      'Expression over value, status, rows, exit_code (per probe), compare and labels (prometheus), baseline and vars.',
    ),
    baseline: {
      description:
        'Sample before the stage changes anything; available as `baseline`. `{ samples, every }` takes the median of several samples; `{ query_offset }` re-runs a prometheus query shifted back.',
      oneOf: [
        { type: 'boolean' },
        obj(
          'Several samples; the median is the baseline.',
          {
            samples: intMin(1, 'How many samples (the median is used).'),
            every: ref('duration', 'Time between the samples (default 10s).'),
          },
          ['samples'],
        ),
        obj(
          'The same Prometheus query evaluated this long ago, at every sample.',
          {
            query_offset: ref('duration', 'How far back, e.g. 1h or 1d (prometheus checks only).'),
          },
          ['query_offset'],
        ),
      ],
    },
    on_no_data: onNoData,
    timeout: ref('duration', 'A probe that takes longer is an error sample.'),
  },
  ['name'],
);

const windowFields: Record<string, S> = {
  interval: ref('duration', 'Time between samples (default: a tenth of the window or hold, at most 30s).'),
  checks: arr(ref('check'), 'Checks sampled every interval (the guards are sampled too).'),
  tolerate: intMin(0, 'Consecutive failed samples allowed before a breach (default 0).'),
  error_limit: intMin(1, 'Consecutive probe errors that count as a breach (default 4).'),
  on_breach: onBreach,
  on_no_data: onNoData,
};

const canaryWeight = { type: 'number', minimum: 0, maximum: 100, description: 'Traffic share in percent.' };

export const runbookSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'migrate runbook (version 1)',
  ...obj(
    'A staged production migration.',
    {
      version: { const: 1, description: 'Format version; always 1.' },
      name: str('Unique name; the journal is keyed by it.', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-code': 'runbook-name',
        'x-message': 'runbook names start with a letter or digit and use letters, digits, _ . -',
      }),
      description: str('What this migration does and why.'),
      owner: str('Who to ask about this runbook.'),
      vars: {
        type: 'object',
        description: 'Inputs, referenced as ${name}.',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: obj('A var.', {
          default: { type: ['string', 'number', 'boolean'], description: 'Value when nothing else sets it.' },
          env: str('Environment variable to read.'),
          secret: { type: 'boolean', description: 'Masked as *** in every output and the journal.' },
          pattern: str('Anchored regular expression every value must match, checked before anything runs.'),
          allow_dash: {
            type: 'boolean',
            description: 'Allow a value starting with "-" where a command reads options.',
          },
          type: {
            type: 'string',
            enum: ['string', 'integer'],
            description:
              'integer: every value must be a whole number (checked before anything runs); required for a var used in bash arithmetic ($((...)), ((...)), [[ -eq ]], let, subscripts).',
          },
          description: str('What the var is for.'),
        }),
      },
      environments: {
        type: 'object',
        description: 'Overrides chosen with --env NAME.',
        additionalProperties: obj('An environment.', {
          vars: {
            type: 'object',
            additionalProperties: { type: ['string', 'number', 'boolean'] },
            description: 'Var values for this environment (above env and default, below --set).',
          },
        }),
      },
      journal: str(
        "Where the journal and lock live for everyone: a postgres:// URL, usually ${var} read from the environment, so a missing --journal cannot bypass the team's lock. --journal overrides it.",
        {
          pattern: '^(\\$\\{|postgres(ql)?://)',
          'x-code': 'journal-url',
          'x-message': 'journal is a postgres:// URL or a ${var} holding one',
        },
      ),
      defaults: obj('Defaults for every step.', {
        timeout: ref('duration', 'Timeout of every step without its own.'),
        shell: str('Shell for run strings (default bash, else sh).'),
      }),
      flags: {
        description: 'Where flag steps write.',
        oneOf: [
          obj(
            'A JSON file.',
            { store: { const: 'file', description: 'A JSON file.' }, path: str('Path (default .migrate/flags.json).') },
            ['store'],
          ),
          obj(
            'A PostgreSQL table.',
            {
              store: { const: 'postgres', description: 'A table your application reads.' },
              table: str('Table (default migrate_flags).'),
              database: str('Connection URL.'),
            },
            ['store'],
          ),
          obj(
            'An existing flag service CLI.',
            {
              store: { const: 'command', description: 'Commands of your flag service.' },
              get: str('Prints the value of ${flag}; nothing (or a non-zero exit) when it is absent.'),
              set: str('Sets ${flag} to ${value}.'),
              unset: str('Removes ${flag} (needed to restore a flag that did not exist).'),
              list: str('Prints every flag as a JSON object (for `migrate flags`).'),
            },
            ['store', 'get', 'set'],
          ),
        ],
      },
      lint: lintSettings('runbook'),
      guards: arr(ref('check'), 'Health checks watched during every monitor window and canary hold.'),
      notify: arr(
        obj(
          'A notification.',
          {
            on: arr({ type: 'string' }, 'Events that trigger it, e.g. stage.failed, rollback.started.', {
              minItems: 1,
            }),
            run: str('Shell command; the event arrives as JSON on stdin and in MIGRATE_EVENT.'),
            webhook: str('URL that receives the event as a JSON POST.'),
          },
          ['on'],
        ),
        'Notifications, sent once per event.',
      ),
      stages: arr(ref('stage'), 'Ordered stages, numbered 1..N.', { minItems: 1 }),
    },
    ['version', 'name', 'stages'],
  ),
  definitions: {
    duration: {
      type: 'string',
      pattern: DURATION_OR_VAR_PATTERN,
      description:
        'A duration: 500ms, 30s, 5m, 1h30m, 2d; or ${var} text that is one after interpolation (environments can override it).',
      'x-code': 'duration',
      'x-message': 'is not a duration (use 500ms, 30s, 5m, 1h30m, 2d)',
    },
    action: obj('An action.', actionFields),
    step,
    check,
    stage: obj(
      'A stage.',
      {
        id: intMin(1, 'Stage number, 1..N in order.'),
        name: str('Stage name; a critical stage asks the operator to type it.'),
        description: str('What the stage changes.'),
        risk: {
          type: 'string',
          enum: ['low', 'medium', 'high', 'critical'],
          description: 'Declared risk (default low).',
        },
        irreversible: { type: 'boolean', description: 'The stage cannot be undone; no rollback warning.' },
        timeout: ref('duration', 'Working time allowed for the whole stage (waiting at gates does not count).'),
        preflight: arr(ref('check'), 'Readiness checks; all must pass before anything runs.'),
        confirm: {
          description: 'A confirmation gate.',
          oneOf: [
            { type: 'string' },
            obj(
              'A gate.',
              {
                message: str('Question.'),
                type: str('"confirm" or "stage-name" (type the stage name).', { enum: ['confirm', 'stage-name'] }),
              },
              ['message'],
            ),
          ],
        },
        steps: arr(step, 'The steps, a task graph through needs.'),
        monitor: obj(
          'Monitoring window after the steps.',
          { duration: ref('duration', 'How long to watch.'), ...windowFields },
          ['duration'],
        ),
        canary: obj(
          'A gradual rollout: a hold at each weight.',
          {
            weights: arr(
              {
                oneOf: [
                  canaryWeight,
                  obj(
                    'A weight with its own hold.',
                    {
                      weight: canaryWeight,
                      hold: {
                        description: 'Hold at this weight, or manual.',
                        oneOf: [ref('duration'), { const: 'manual' }],
                      },
                    },
                    ['weight'],
                  ),
                ],
              },
              'Weights in order.',
              { minItems: 1 },
            ),
            hold: {
              description: 'Hold at each weight, or manual (the operator promotes).',
              oneOf: [ref('duration'), { const: 'manual' }],
            },
            set: {
              description:
                'How to set a weight; ${weight} is the weight. Its undo (default: set weight 0) runs on rollback.',
              oneOf: [{ type: 'string' }, step],
            },
            ...windowFields,
          },
          ['weights', 'set'],
        ),
        verify: arr(ref('check'), 'Success criteria, checked after the window.'),
        rollback: arr(
          { oneOf: [{ type: 'string' }, ref('action')] },
          'Stage rollback steps, run after the step undos.',
        ),
      },
      ['id', 'name'],
    ),
  },
} as const;
