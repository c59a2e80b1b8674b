// The SQL lint corpus: unsafe statements with the rule that must flag them, each
// with a safe twin that must stay clean. Written from the facts of squawk's
// per-rule tests (source 'squawk:<rule>') and the cases strong_migrations
// documents (source 'sm:<section>'); the SQL is ours. Shared by
// test/lint/corpus.test.ts and bench/lint.js (plain ESM so both can read it).
//
// Fields: code (our rule), unsafe, safe, tx (step runs in a transaction; default
// true), pg (target PostgreSQL major; default 14), source.

/** Safety rules: on by default. */
export const safety = [
  // Volatile defaults rewrite the table (PostgreSQL 11+ stores constant defaults without one).
  {
    code: 'volatile-default',
    source: 'squawk:adding-field-with-default',
    unsafe: 'ALTER TABLE t ADD COLUMN id2 uuid DEFAULT gen_random_uuid()',
    safe: "ALTER TABLE t ADD COLUMN status text DEFAULT 'new'",
  },
  {
    code: 'volatile-default',
    source: 'squawk:adding-field-with-default',
    unsafe: 'ALTER TABLE t ADD COLUMN u uuid DEFAULT uuid()',
    safe: 'ALTER TABLE t ADD COLUMN flag boolean DEFAULT true',
  },
  {
    code: 'volatile-default',
    source: 'squawk:adding-field-with-default',
    unsafe: 'ALTER TABLE t ADD COLUMN k text DEFAULT gen_random_uuid()::text',
    safe: "ALTER TABLE t ADD COLUMN k text DEFAULT 'x'::text",
  },
  {
    code: 'volatile-default',
    source: 'sm:adding-a-column-with-a-volatile-default-value',
    unsafe: "ALTER TABLE t ADD COLUMN due timestamptz DEFAULT clock_timestamp() + interval '1 day'",
    safe: "ALTER TABLE t ADD COLUMN due timestamptz DEFAULT now() + interval '1 day'",
  },
  {
    code: 'volatile-default',
    source: 'squawk:adding-field-with-default',
    unsafe: 'ALTER TABLE t ADD COLUMN n bigint DEFAULT next_ticket_number()',
    safe: 'ALTER TABLE t ADD COLUMN n bigint DEFAULT 10',
  },
  {
    code: 'volatile-default',
    source: 'squawk:adding-field-with-default',
    unsafe: 'ALTER TABLE t ADD COLUMN r float8 DEFAULT random()',
    safe: 'ALTER TABLE t ADD COLUMN r float8 DEFAULT -0.5',
  },
  {
    code: 'add-column-default-rewrite',
    source: 'squawk:adding-field-with-default (pg < 11)',
    pg: 10,
    unsafe: "ALTER TABLE t ADD COLUMN status text DEFAULT 'new'",
    safe: 'ALTER TABLE t ADD COLUMN status text',
  },
  // Foreign keys validate every row under SHARE ROW EXCLUSIVE on both tables.
  {
    code: 'foreign-key-not-valid',
    source: 'squawk:adding-foreign-key-constraint',
    unsafe: 'ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id)',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID',
  },
  {
    code: 'foreign-key-not-valid',
    source: 'sm:adding-a-reference',
    unsafe: 'ALTER TABLE t ADD COLUMN u_id bigint REFERENCES u (id)',
    safe: 'ALTER TABLE t ADD COLUMN u_id bigint',
  },
  {
    code: 'foreign-key-not-valid',
    source: 'sm:adding-a-foreign-key (new table)',
    unsafe: 'ALTER TABLE orders ADD CONSTRAINT orders_u_fk FOREIGN KEY (u_id) REFERENCES u (id)',
    safe: 'CREATE TABLE orders (id bigint, u_id bigint); ALTER TABLE orders ADD CONSTRAINT orders_u_fk FOREIGN KEY (u_id) REFERENCES u (id)',
  },
  // NOT NULL
  {
    code: 'set-not-null',
    source: 'squawk:adding-not-nullable-field',
    unsafe: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL',
    tx: false,
    safe: 'ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_c_nn; ALTER TABLE t ALTER COLUMN c SET NOT NULL',
  },
  {
    code: 'set-not-null',
    source: 'sm:setting-not-null-on-an-existing-column (pg < 12)',
    pg: 11,
    tx: false,
    unsafe:
      'ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_c_nn; ALTER TABLE t ALTER COLUMN c SET NOT NULL',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_c_nn',
  },
  {
    code: 'add-column-not-null',
    source: 'squawk:adding-required-field',
    unsafe: 'ALTER TABLE t ADD COLUMN c int NOT NULL',
    safe: 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0',
  },
  {
    code: 'drop-not-null',
    source: 'squawk:ban-drop-not-null',
    unsafe: 'ALTER TABLE t ALTER COLUMN c DROP NOT NULL',
    safe: "COMMENT ON COLUMN t.c IS 'becomes optional in the next release'",
  },
  // Auto-incrementing and stored generated columns rewrite the table.
  {
    code: 'add-column-rewrite',
    source: 'squawk:adding-serial-primary-key-field',
    unsafe: 'ALTER TABLE t ADD COLUMN id bigserial PRIMARY KEY',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_pk_idx',
  },
  {
    code: 'add-column-rewrite',
    source: 'sm:adding-an-auto-incrementing-column',
    unsafe: 'ALTER TABLE t ADD COLUMN seq serial',
    safe: 'ALTER TABLE t ADD COLUMN seq bigint',
  },
  {
    code: 'add-column-rewrite',
    source: 'sm:adding-an-auto-incrementing-column',
    unsafe: 'ALTER TABLE t ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY',
    safe: 'CREATE TABLE n (seq bigint GENERATED ALWAYS AS IDENTITY)',
  },
  {
    code: 'add-column-rewrite',
    source: 'sm:adding-a-stored-generated-column',
    unsafe: 'ALTER TABLE t ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED',
    safe: 'ALTER TABLE t ADD COLUMN total numeric',
  },
  // Unique, primary and exclusion constraints build their index under ACCESS EXCLUSIVE.
  {
    code: 'unique-not-using-index',
    source: 'squawk:disallowed-unique-constraint',
    unsafe: 'ALTER TABLE t ADD CONSTRAINT t_c_uq UNIQUE (c)',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_c_uq UNIQUE USING INDEX t_c_uq_idx',
  },
  {
    code: 'unique-not-using-index',
    source: 'squawk:adding-primary-key-constraint',
    unsafe: 'ALTER TABLE t ADD PRIMARY KEY (id)',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_pk_idx',
  },
  {
    code: 'unique-not-using-index',
    source: 'squawk:disallowed-unique-constraint (inline)',
    unsafe: 'ALTER TABLE t ADD COLUMN email text UNIQUE',
    safe: 'ALTER TABLE t ADD COLUMN email text',
  },
  {
    code: 'exclusion-constraint',
    source: 'sm:adding-an-exclusion-constraint',
    unsafe: 'ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)',
    safe: 'CREATE TABLE booking (room int, during tstzrange); ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)',
  },
  // CHECK and the NOT VALID / VALIDATE split.
  {
    code: 'check-not-valid',
    source: 'squawk:constraint-missing-not-valid',
    unsafe: 'ALTER TABLE t ADD CONSTRAINT t_c_pos CHECK (c > 0)',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_c_pos CHECK (c > 0) NOT VALID',
  },
  {
    code: 'validate-in-same-transaction',
    source: 'squawk:constraint-missing-not-valid',
    unsafe: 'ALTER TABLE t ADD CONSTRAINT t_c_pos CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_c_pos',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_c_pos CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_c_pos',
    safeTx: false,
  },
  {
    code: 'alter-domain-add-constraint',
    source: 'squawk:ban-alter-domain-with-add-constraint',
    unsafe: 'ALTER DOMAIN positive ADD CONSTRAINT positive_ck CHECK (VALUE > 0)',
    safe: 'ALTER DOMAIN positive ADD CONSTRAINT positive_ck CHECK (VALUE > 0) NOT VALID',
  },
  // Drops, renames, type changes.
  {
    code: 'drop-column',
    source: 'squawk:ban-drop-column',
    unsafe: 'ALTER TABLE t DROP COLUMN c',
    safe: 'ALTER TABLE t ADD COLUMN c2 int',
  },
  {
    code: 'drop-column',
    source: 'sm:removing-a-column',
    unsafe: 'ALTER TABLE users DROP COLUMN IF EXISTS legacy_name',
    safe: "COMMENT ON COLUMN users.legacy_name IS 'unused: drop in the next release'",
  },
  {
    code: 'drop-table',
    source: 'squawk:ban-drop-table',
    unsafe: 'DROP TABLE orders',
    safe: 'DROP VIEW IF EXISTS orders_v',
  },
  {
    code: 'drop-database',
    source: 'squawk:ban-drop-database',
    tx: false,
    unsafe: 'DROP DATABASE app',
    safe: 'CREATE DATABASE app_scratch',
  },
  {
    code: 'drop-schema',
    source: 'squawk:ban-drop-schema',
    unsafe: 'DROP SCHEMA old CASCADE',
    safe: 'CREATE SCHEMA IF NOT EXISTS archive',
  },
  {
    code: 'rename-table',
    source: 'squawk:renaming-table',
    unsafe: 'ALTER TABLE t RENAME TO u',
    safe: 'CREATE VIEW u AS SELECT * FROM t',
  },
  {
    code: 'rename-column',
    source: 'squawk:renaming-column',
    unsafe: 'ALTER TABLE t RENAME COLUMN a TO b',
    safe: 'ALTER TABLE t ADD COLUMN b int',
  },
  {
    code: 'rename-schema',
    source: 'sm:renaming-a-schema',
    unsafe: 'ALTER SCHEMA app RENAME TO app_v1',
    safe: 'CREATE SCHEMA IF NOT EXISTS app_v2',
  },
  {
    code: 'rename-enum-value',
    source: 'squawk:renaming-object',
    unsafe: "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy'",
    safe: "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'unhappy' AFTER 'sad'",
  },
  {
    code: 'alter-column-type',
    source: 'squawk:changing-column-type',
    unsafe: 'ALTER TABLE t ALTER COLUMN a TYPE bigint',
    safe: 'ALTER TABLE t ADD COLUMN a_big bigint',
  },
  {
    code: 'alter-column-type',
    source: 'sm:changing-the-type-of-a-column',
    unsafe: 'ALTER TABLE users ALTER COLUMN age SET DATA TYPE numeric(10, 2) USING age::numeric',
    safe: 'CREATE TABLE users_new (age numeric(10, 2)); ALTER TABLE users_new ALTER COLUMN age TYPE numeric(12, 2)',
  },
  {
    code: 'json-column',
    source: 'sm:adding-a-json-column',
    unsafe: 'ALTER TABLE t ADD COLUMN props json',
    safe: 'ALTER TABLE t ADD COLUMN props jsonb',
  },
  // Indexes.
  {
    code: 'index-not-concurrent',
    source: 'squawk:require-concurrent-index-creation',
    tx: false,
    unsafe: 'CREATE INDEX t_c_idx ON t (c)',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c)',
  },
  {
    code: 'index-not-concurrent',
    source: 'squawk:require-concurrent-index-creation (new table)',
    unsafe: 'CREATE UNIQUE INDEX t_c_idx ON t (c)',
    safe: 'CREATE TABLE n (c int); CREATE UNIQUE INDEX n_c_idx ON n (c)',
  },
  {
    code: 'index-not-concurrent',
    source: 'squawk:require-concurrent-index-deletion',
    tx: false,
    unsafe: 'DROP INDEX t_c_idx',
    safe: 'DROP INDEX CONCURRENTLY IF EXISTS t_c_idx',
  },
  {
    code: 'index-not-concurrent',
    source: 'squawk:require-concurrent-reindex',
    tx: false,
    unsafe: 'REINDEX TABLE t',
    safe: 'REINDEX TABLE CONCURRENTLY t',
  },
  {
    code: 'concurrently-in-transaction',
    source: 'squawk:ban-concurrent-index-creation-in-transaction',
    unsafe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c)',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c)',
    safeTx: false,
  },
  {
    code: 'concurrently-not-idempotent',
    source: 'issue 11: CONCURRENTLY and retries',
    tx: false,
    unsafe: 'CREATE INDEX CONCURRENTLY t_c_idx ON t (c)',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c)',
  },
  {
    code: 'detach-partition-not-concurrent',
    source: 'squawk:require-concurrent-partition-detach',
    unsafe: 'ALTER TABLE events DETACH PARTITION events_2024',
    safe: 'ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY',
    safeTx: false,
  },
  {
    code: 'table-rewrite',
    source: 'squawk:prefer-repack',
    tx: false,
    unsafe: 'VACUUM FULL t',
    safe: 'VACUUM (ANALYZE) t',
  },
  { code: 'table-rewrite', source: 'squawk:prefer-repack', unsafe: 'CLUSTER t USING t_pkey', safe: 'ANALYZE t' },
  // Data changes.
  {
    code: 'update-without-where',
    source: 'sm:backfilling-data',
    unsafe: 'UPDATE t SET c = 1',
    safe: 'UPDATE t SET c = 1 WHERE id BETWEEN 1 AND 1000',
  },
  {
    code: 'delete-without-where',
    source: 'sm:backfilling-data',
    unsafe: 'DELETE FROM t',
    safe: 'DELETE FROM t WHERE id < 1000',
  },
  {
    code: 'dml-with-ddl',
    source: 'sm:backfilling-data',
    unsafe: 'ALTER TABLE t ADD COLUMN d int; UPDATE t SET d = 1 WHERE id < 10',
    safe: 'UPDATE t SET d = 1 WHERE id < 10',
  },
  { code: 'truncate-cascade', source: 'squawk:ban-truncate-cascade', unsafe: 'TRUNCATE t CASCADE', safe: 'TRUNCATE t' },
  // Transactions.
  {
    code: 'transaction-control',
    source: 'squawk:transaction-nesting',
    unsafe: 'BEGIN; ALTER TABLE t ADD COLUMN c int; COMMIT',
    safe: 'BEGIN; ALTER TABLE t ADD COLUMN c int; COMMIT',
    safeTx: false,
  },
  {
    code: 'transaction-control',
    source: 'issue 11: COMMIT inside a transactional step',
    unsafe: 'CREATE TABLE a (id bigint); COMMIT; CREATE TABLE b (id bigint)',
    safe: 'CREATE TABLE a (id bigint); CREATE TABLE b (id bigint)',
  },
  {
    code: 'transaction-control',
    source: 'issue 11: savepoint abuse',
    unsafe: 'SAVEPOINT s; UPDATE t SET c = 1 WHERE id = 1; ROLLBACK TO SAVEPOINT s',
    safe: 'UPDATE t SET c = 1 WHERE id = 1',
  },
  {
    code: 'nested-transaction',
    source: 'squawk:transaction-nesting',
    tx: false,
    unsafe: 'BEGIN; BEGIN; UPDATE t SET c = 1 WHERE id = 1; COMMIT',
    safe: 'BEGIN; UPDATE t SET c = 1 WHERE id = 1; COMMIT',
  },
  {
    code: 'begin-without-commit',
    source: 'squawk:ban-uncommitted-transaction',
    tx: false,
    unsafe: 'BEGIN; ALTER TABLE t ADD COLUMN c int',
    safe: 'BEGIN; ALTER TABLE t ADD COLUMN c int; COMMIT',
  },
  {
    code: 'begin-without-commit',
    source: 'issue 11: unclosed second BEGIN',
    tx: false,
    unsafe: 'BEGIN; CREATE TABLE a (id bigint); COMMIT; BEGIN; CREATE TABLE posts (id bigint);',
    safe: 'BEGIN; CREATE TABLE a (id bigint); COMMIT; BEGIN; CREATE TABLE posts (id bigint); COMMIT;',
  },
];

/** Hygiene rules: off by default, on under `validate --strict` or `lint: { hygiene: true }`. */
export const hygiene = [
  {
    code: 'prefer-bigint',
    source: 'squawk:prefer-bigint-over-int',
    unsafe: 'CREATE TABLE IF NOT EXISTS t (id int)',
    safe: 'CREATE TABLE IF NOT EXISTS t (id bigint)',
  },
  {
    code: 'prefer-bigint',
    source: 'squawk:prefer-bigint-over-smallint',
    unsafe: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS n smallint',
    safe: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS n bigint',
  },
  {
    code: 'prefer-identity',
    source: 'squawk:prefer-identity',
    unsafe: 'CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY)',
    safe: 'CREATE TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)',
  },
  {
    code: 'prefer-text',
    source: 'squawk:prefer-text-field',
    unsafe: 'CREATE TABLE IF NOT EXISTS t (name varchar(100))',
    safe: 'CREATE TABLE IF NOT EXISTS t (name text)',
  },
  {
    code: 'prefer-text',
    source: 'squawk:ban-char-field',
    unsafe: 'CREATE TABLE IF NOT EXISTS t (code char(2))',
    safe: 'CREATE TABLE IF NOT EXISTS t (code text)',
  },
  {
    code: 'prefer-timestamptz',
    source: 'squawk:prefer-timestamptz',
    unsafe: 'CREATE TABLE IF NOT EXISTS t (at timestamp)',
    safe: 'CREATE TABLE IF NOT EXISTS t (at timestamptz)',
  },
  {
    code: 'identifier-too-long',
    source: 'squawk:identifier-too-long',
    unsafe: `CREATE TABLE IF NOT EXISTS ${'x'.repeat(64)} (id bigint)`,
    safe: `CREATE TABLE IF NOT EXISTS ${'x'.repeat(63)} (id bigint)`,
  },
  {
    code: 'idempotent',
    source: 'squawk:prefer-robust-stmts',
    tx: false,
    unsafe: 'CREATE TABLE t (id bigint)',
    safe: 'CREATE TABLE IF NOT EXISTS t (id bigint)',
  },
  {
    code: 'idempotent',
    source: 'squawk:prefer-robust-stmts',
    tx: false,
    unsafe: 'ALTER TABLE t ADD COLUMN c bigint',
    safe: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS c bigint',
  },
  {
    code: 'enum-value-ordering',
    source: 'squawk:require-enum-value-ordering',
    unsafe: "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'",
    safe: "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad'",
  },
  {
    code: 'duplicate-column-assignment',
    source: 'squawk:ban-duplicate-column-assignments',
    unsafe: 'UPDATE t SET a = 1, a = 2 WHERE id = 1',
    safe: 'UPDATE t SET a = 1, b = 2 WHERE id = 1',
  },
];
