/**
 * Versioned schema migrations, one list for both back ends: migration i (0-based) moves the schema from
 * version i to i + 1. A migration is SQL written once, with the few types the dialects spell
 * differently taken from `Dialect`. Append new migrations; never edit one that has shipped.
 */
import type { Database } from 'better-sqlite3';

/** The column types SQLite and PostgreSQL spell differently; everything else is common SQL. */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** An auto-incrementing integer primary key (arrival order). */
  serialKey: string;
  /** A 64-bit integer: epoch milliseconds, counts, 0/1 flags. */
  int: string;
}

export const SQLITE: Dialect = { name: 'sqlite', serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT', int: 'INTEGER' };
export const POSTGRES: Dialect = { name: 'postgres', serialKey: 'BIGSERIAL PRIMARY KEY', int: 'BIGINT' };

export type Migration = (d: Dialect) => string;

export const MIGRATIONS: readonly Migration[] = [
  (d) => `
  CREATE TABLE programs (
    id             TEXT PRIMARY KEY,
    artifact       TEXT NOT NULL,
    eval_report_id TEXT,
    created_at     ${d.int} NOT NULL
  );

  -- Artifacts are content-addressed, so two tasks with the same zero-shot program share one row.
  CREATE TABLE task_versions (
    task       TEXT NOT NULL,
    version_id TEXT NOT NULL REFERENCES programs (id),
    created_at ${d.int} NOT NULL,
    PRIMARY KEY (task, version_id)
  );

  CREATE TABLE feedback (
    seq           ${d.serialKey},
    task          TEXT NOT NULL,
    prediction_id TEXT NOT NULL,
    input         TEXT NOT NULL,
    predicted     TEXT NOT NULL,
    correct       TEXT NOT NULL,
    is_correction ${d.int} NOT NULL,
    version_id    TEXT,
    received_at   ${d.int} NOT NULL,
    UNIQUE (task, prediction_id)
  );
  CREATE INDEX feedback_live ON feedback (task, version_id, received_at);

  CREATE TABLE datasets (
    id         TEXT PRIMARY KEY,
    task       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at ${d.int} NOT NULL
  );

  CREATE TABLE eval_reports (
    id         TEXT PRIMARY KEY,
    task       TEXT NOT NULL,
    version_id TEXT NOT NULL,
    report     TEXT NOT NULL,
    created_at ${d.int} NOT NULL
  );

  CREATE TABLE registry (
    task      TEXT PRIMARY KEY,
    active    TEXT,
    previous  TEXT,
    candidate TEXT
  );

  CREATE TABLE registry_history (
    seq          ${d.serialKey},
    task         TEXT NOT NULL,
    at           ${d.int} NOT NULL,
    pointer      TEXT NOT NULL CHECK (pointer IN ('active', 'previous', 'candidate')),
    from_version TEXT,
    to_version   TEXT,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL
  );
  CREATE INDEX registry_history_task ON registry_history (task, seq);
  `,
  // Version history: a rolled-back version is marked so no later rollback restores it by accident.
  // Live canary: the version serving a share of traffic next to `active`; its moves enter the history.
  (d) => `
  ALTER TABLE task_versions ADD COLUMN rolled_back_at ${d.int};
  ALTER TABLE task_versions ADD COLUMN rolled_back_reason TEXT;
  ALTER TABLE registry ADD COLUMN canary TEXT;
  ALTER TABLE registry ADD COLUMN canary_share DOUBLE PRECISION;
  ${allowCanaryPointer(d)}
  `,
  (d) => `
  -- The spec each task's learner was started with, so serving can reach its LM and start its learner.
  CREATE TABLE task_specs (
    task       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    updated_at ${d.int} NOT NULL
  );

  -- Every prediction served over HTTP, so feedback can name it by id alone.
  CREATE TABLE predictions (
    task       TEXT NOT NULL,
    id         TEXT NOT NULL,
    version_id TEXT NOT NULL,
    inputs     TEXT NOT NULL,
    outputs    TEXT,
    error      TEXT,
    latency_ms DOUBLE PRECISION NOT NULL,
    created_at ${d.int} NOT NULL,
    PRIMARY KEY (task, id)
  );
  CREATE INDEX predictions_version ON predictions (task, version_id, created_at);

  -- Feedback that serving handed to Temporal: answers "duplicate" at the edge (the learner dedupes too).
  CREATE TABLE feedback_receipts (
    task          TEXT NOT NULL,
    prediction_id TEXT NOT NULL,
    received_at   ${d.int} NOT NULL,
    PRIMARY KEY (task, prediction_id)
  );
  `,
  // Where a long activity keeps what a retried attempt resumes from (finished evaluation rows), so the
  // heartbeat carries only small progress numbers and \`temporal workflow describe\` stays readable.
  (d) => `
  CREATE TABLE checkpoints (
    key        TEXT PRIMARY KEY,
    content    TEXT NOT NULL,
    updated_at ${d.int} NOT NULL
  );
  `,
];

/** Widens registry_history's pointer CHECK; SQLite cannot alter a constraint, so it rebuilds the table. */
function allowCanaryPointer(d: Dialect): string {
  const check = "CHECK (pointer IN ('active', 'previous', 'candidate', 'canary'))";
  if (d.name === 'postgres') {
    return `ALTER TABLE registry_history DROP CONSTRAINT registry_history_pointer_check;
  ALTER TABLE registry_history ADD CONSTRAINT registry_history_pointer_check ${check};`;
  }
  return `CREATE TABLE registry_history_next (
    seq          ${d.serialKey},
    task         TEXT NOT NULL,
    at           ${d.int} NOT NULL,
    pointer      TEXT NOT NULL ${check},
    from_version TEXT,
    to_version   TEXT,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL
  );
  INSERT INTO registry_history_next SELECT * FROM registry_history;
  DROP TABLE registry_history;
  ALTER TABLE registry_history_next RENAME TO registry_history;
  CREATE INDEX registry_history_task ON registry_history (task, seq);`;
}

/**
 * Applies the migrations a SQLite database has not seen yet (its version is `PRAGMA user_version`), in
 * one IMMEDIATE transaction: the version is read under the write lock, so two processes opening a
 * fresh file at once cannot both migrate it.
 */
export function migrateSqlite(db: Database, migrations: readonly Migration[] = MIGRATIONS): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) {
      throw newerSchema(current, migrations.length);
    }
    for (const migration of migrations.slice(current)) db.exec(migration(SQLITE));
    // PRAGMA takes no bound parameters; the value is an array length, not input.
    if (current < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

export function newerSchema(current: number, known: number): Error {
  return new Error(`store schema version ${current} is newer than this Kkachi knows (${known}); upgrade Kkachi`);
}

/** Any fixed 64-bit key: the advisory lock that serialises PostgreSQL migrations across processes. */
const MIGRATION_LOCK = 0x6b6b61636869; // "kkachi"

/** The one query method migrations need (a pg client or pool). */
export interface SqlRunner {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Applies the migrations a PostgreSQL database has not seen yet (its version is the one row of
 * `kkachi_schema`), in one transaction under an advisory lock, so processes starting at once against a
 * fresh database migrate it exactly once. PostgreSQL DDL is transactional: a failed migration leaves
 * the schema as it was.
 */
export async function migratePostgres(client: SqlRunner, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS kkachi_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM kkachi_schema');
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) throw newerSchema(current, migrations.length);
    for (const migration of migrations.slice(current)) await client.query(migration(POSTGRES));
    if (rows.length === 0) await client.query('INSERT INTO kkachi_schema (version) VALUES ($1)', [migrations.length]);
    else await client.query('UPDATE kkachi_schema SET version = $1', [migrations.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
