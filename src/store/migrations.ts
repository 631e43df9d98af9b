/**
 * Versioned schema migrations, tracked in SQLite's `PRAGMA user_version`: migration i (0-based) moves
 * the schema from version i to i + 1. Append new migrations; never edit one that has shipped.
 */
import type { Database } from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE programs (
    id             TEXT PRIMARY KEY,
    artifact       TEXT NOT NULL,
    eval_report_id TEXT,
    created_at     INTEGER NOT NULL
  );

  -- Artifacts are content-addressed, so two tasks with the same zero-shot program share one row.
  CREATE TABLE task_versions (
    task       TEXT NOT NULL,
    version_id TEXT NOT NULL REFERENCES programs (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (task, version_id)
  );

  CREATE TABLE feedback (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    task          TEXT NOT NULL,
    prediction_id TEXT NOT NULL,
    input         TEXT NOT NULL,
    predicted     TEXT NOT NULL,
    correct       TEXT NOT NULL,
    is_correction INTEGER NOT NULL,
    version_id    TEXT,
    received_at   INTEGER NOT NULL,
    UNIQUE (task, prediction_id)
  );
  CREATE INDEX feedback_live ON feedback (task, version_id, received_at);

  CREATE TABLE datasets (
    id         TEXT PRIMARY KEY,
    task       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE eval_reports (
    id         TEXT PRIMARY KEY,
    task       TEXT NOT NULL,
    version_id TEXT NOT NULL,
    report     TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE registry (
    task      TEXT PRIMARY KEY,
    active    TEXT,
    previous  TEXT,
    candidate TEXT
  );

  CREATE TABLE registry_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    task         TEXT NOT NULL,
    at           INTEGER NOT NULL,
    pointer      TEXT NOT NULL CHECK (pointer IN ('active', 'previous', 'candidate')),
    from_version TEXT,
    to_version   TEXT,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL
  );
  CREATE INDEX registry_history_task ON registry_history (task, seq);
  `,
];

/**
 * Applies the migrations the database has not seen yet, in one IMMEDIATE transaction: the version is
 * read under the write lock, so two processes opening a fresh file at once cannot both migrate it.
 */
export function migrate(db: Database, migrations: readonly string[] = MIGRATIONS): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) {
      throw new Error(`store schema version ${current} is newer than this Kkachi knows (${migrations.length}); upgrade Kkachi`);
    }
    for (const sql of migrations.slice(current)) db.exec(sql);
    // PRAGMA takes no bound parameters; the value is an array length, not input.
    if (current < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
