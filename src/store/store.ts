/**
 * The SQLite store: program versions, feedback, dataset snapshots, eval reports and the registry
 * pointers per task. Synchronous (better-sqlite3); every multi-row write is one transaction, and every
 * write that a retried activity may repeat is idempotent.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { parseArtifact, type ProgramArtifact } from '../core/artifact';
import { contentHash } from '../core/canonical';
import { isCorrection } from '../core/correction';
import type { FeedbackRecord } from '../core/types';
import { migrate } from './migrations';
import type {
  CompareAndSet,
  DatasetContent,
  DatasetSnapshot,
  FeedbackCounts,
  HistoryEntry,
  PointerMove,
  Pointers,
  StoredReport,
} from './types';

export interface StoreOptions {
  /** Clock for created_at / history timestamps (tests pin it). */
  now?: () => number;
  /** How long a writer waits for another connection's lock before failing (default 5 s). */
  busyTimeoutMs?: number;
}

/** `<KKACHI_HOME or .kkachi>/kkachi.db`. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(join(env.KKACHI_HOME || '.kkachi', 'kkachi.db'));
}

export function openStore(path: string = defaultStorePath(), options: StoreOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  // WAL: readers (serving) never block the writer (activities) and vice versa.
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return new Store(db, options.now ?? Date.now);
}

interface FeedbackRow {
  prediction_id: string;
  input: string;
  predicted: string;
  correct: string;
  version_id: string | null;
  received_at: number;
}

interface HistoryRow {
  task: string;
  at: number;
  pointer: HistoryEntry['pointer'];
  from_version: string | null;
  to_version: string | null;
  actor: string;
  reason: string;
}

const NO_POINTERS: Pointers = { active: null, previous: null, candidate: null };

export class Store {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  close(): void {
    this.db.close();
  }

  // ── program versions ───────────────────────────────────────────────────────────────────────────

  /** Records the artifact as a version of the task; idempotent by artifact id. */
  putProgram(task: string, artifact: ProgramArtifact): void {
    const at = this.now();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO programs (id, artifact, eval_report_id, created_at) VALUES (?, ?, ?, ?)')
        .run(artifact.id, JSON.stringify(artifact), artifact.lineage.evalReportId, at);
      this.db.prepare('INSERT OR IGNORE INTO task_versions (task, version_id, created_at) VALUES (?, ?, ?)').run(task, artifact.id, at);
    }).immediate();
  }

  getProgram(id: string): ProgramArtifact | null {
    const row = this.db.prepare('SELECT artifact, eval_report_id FROM programs WHERE id = ?').get(id) as
      | { artifact: string; eval_report_id: string | null }
      | undefined;
    if (!row) return null;
    const artifact = parseArtifact(JSON.parse(row.artifact));
    // The report id is outside the content hash, so it is kept in its own column and merged here.
    return { ...artifact, lineage: { ...artifact.lineage, evalReportId: row.eval_report_id } };
  }

  /** Whether the program was stored as a version of the task. */
  hasVersion(task: string, id: string): boolean {
    return this.db.prepare('SELECT 1 FROM task_versions WHERE task = ? AND version_id = ?').get(task, id) !== undefined;
  }

  linkEvalReport(programId: string, reportId: string): void {
    const { changes } = this.db.prepare('UPDATE programs SET eval_report_id = ? WHERE id = ?').run(reportId, programId);
    if (changes === 0) throw new Error(`cannot link report ${reportId}: unknown program version ${programId}`);
  }

  // ── feedback ───────────────────────────────────────────────────────────────────────────────────

  /** One transaction; unique by (task, prediction id), so a re-delivered batch inserts nothing. */
  insertFeedback(task: string, records: readonly FeedbackRecord[]): { inserted: number; duplicates: number } {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO feedback (task, prediction_id, input, predicted, correct, is_correction, version_id, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      let inserted = 0;
      for (const r of records) {
        const correction = isCorrection(r.predicted, r.correct) ? 1 : 0;
        inserted += insert.run(task, r.predictionId, JSON.stringify(r.input), JSON.stringify(r.predicted), JSON.stringify(r.correct), correction, r.versionId, r.receivedAt).changes;
      }
      return { inserted, duplicates: records.length - inserted };
    }).immediate();
  }

  /** Every record of the task in arrival order. */
  listFeedback(task: string): FeedbackRecord[] {
    const rows = this.db
      .prepare('SELECT prediction_id, input, predicted, correct, version_id, received_at FROM feedback WHERE task = ? ORDER BY seq')
      .all(task) as FeedbackRow[];
    return rows.map((r) => ({
      predictionId: r.prediction_id,
      input: JSON.parse(r.input),
      predicted: JSON.parse(r.predicted),
      correct: JSON.parse(r.correct),
      versionId: r.version_id,
      receivedAt: r.received_at,
    }));
  }

  feedbackCounts(task: string): FeedbackCounts {
    const row = this.db
      .prepare('SELECT COUNT(*) AS total, COALESCE(SUM(is_correction), 0) AS corrections FROM feedback WHERE task = ?')
      .get(task) as FeedbackCounts;
    return { total: row.total, corrections: row.corrections };
  }

  /** Feedback on one version received at or after sinceMs; a confirmation counts as correct. */
  liveStats(task: string, versionId: string, sinceMs: number): { n: number; correct: number } {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(1 - is_correction), 0) AS correct
         FROM feedback WHERE task = ? AND version_id = ? AND received_at >= ?`,
      )
      .get(task, versionId, sinceMs) as { n: number; correct: number };
    return { n: row.n, correct: row.correct };
  }

  // ── dataset snapshots ──────────────────────────────────────────────────────────────────────────

  /** Content-addressed: the id is computed here, so equal content is stored once under one id. */
  putDataset(content: DatasetContent): DatasetSnapshot {
    const { task, train, val, holdout } = content;
    const id = contentHash({ task, train, val, holdout });
    this.db
      .prepare('INSERT OR IGNORE INTO datasets (id, task, content, created_at) VALUES (?, ?, ?, ?)')
      .run(id, task, JSON.stringify({ train, val, holdout }), this.now());
    return { id, task, train, val, holdout };
  }

  getDataset(id: string): DatasetSnapshot | null {
    const row = this.db.prepare('SELECT task, content FROM datasets WHERE id = ?').get(id) as { task: string; content: string } | undefined;
    if (!row) return null;
    const { train, val, holdout } = JSON.parse(row.content) as Omit<DatasetContent, 'task'>;
    return { id, task: row.task, train, val, holdout };
  }

  // ── eval reports ───────────────────────────────────────────────────────────────────────────────

  /** Idempotent by id (reports are content-addressed by their caller). */
  putReport(id: string, task: string, versionId: string, report: StoredReport['report']): void {
    this.db
      .prepare('INSERT OR IGNORE INTO eval_reports (id, task, version_id, report, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, task, versionId, JSON.stringify(report), this.now());
  }

  getReport(id: string): StoredReport | null {
    const row = this.db.prepare('SELECT task, version_id, report, created_at FROM eval_reports WHERE id = ?').get(id) as
      | { task: string; version_id: string; report: string; created_at: number }
      | undefined;
    if (!row) return null;
    return { id, task: row.task, versionId: row.version_id, report: JSON.parse(row.report), createdAt: row.created_at };
  }

  // ── registry pointers ──────────────────────────────────────────────────────────────────────────

  getPointers(task: string): Pointers {
    const row = this.db.prepare('SELECT active, previous, candidate FROM registry WHERE task = ?').get(task) as Pointers | undefined;
    return row ? { active: row.active, previous: row.previous, candidate: row.candidate } : { ...NO_POINTERS };
  }

  /**
   * Atomically makes `next` active (and the old active `previous`) only when `active` still equals
   * `expected`. Returns false, changing and recording nothing, when another writer got there first.
   * IMMEDIATE takes the write lock before reading, so two stores on one file serialise here.
   */
  compareAndSetActive(task: string, cas: CompareAndSet): boolean {
    return this.db.transaction(() => {
      this.requireVersionOf(task, cas.next);
      this.db.prepare('INSERT OR IGNORE INTO registry (task) VALUES (?)').run(task);
      const { changes } = this.db
        .prepare('UPDATE registry SET previous = active, active = ? WHERE task = ? AND active IS ?')
        .run(cas.next, task, cas.expected);
      if (changes === 0) return false;
      this.appendHistory({ task, pointer: 'active', fromVersion: cas.expected, toVersion: cas.next, actor: cas.actor, reason: cas.reason });
      return true;
    }).immediate();
  }

  /** Marks the version awaiting the gate (null clears it); a no-op move is not recorded. */
  setCandidate(task: string, versionId: string | null, move: PointerMove): void {
    this.db.transaction(() => {
      if (versionId !== null) this.requireVersionOf(task, versionId);
      const from = this.getPointers(task).candidate;
      if (from === versionId) return;
      this.db
        .prepare('INSERT INTO registry (task, candidate) VALUES (?, ?) ON CONFLICT (task) DO UPDATE SET candidate = excluded.candidate')
        .run(task, versionId);
      this.appendHistory({ task, pointer: 'candidate', fromVersion: from, toVersion: versionId, ...move });
    }).immediate();
  }

  /** Every pointer change of the task, oldest first. */
  registryHistory(task: string): HistoryEntry[] {
    const rows = this.db
      .prepare('SELECT task, at, pointer, from_version, to_version, actor, reason FROM registry_history WHERE task = ? ORDER BY seq')
      .all(task) as HistoryRow[];
    return rows.map((r) => ({
      task: r.task,
      at: r.at,
      pointer: r.pointer,
      fromVersion: r.from_version,
      toVersion: r.to_version,
      actor: r.actor,
      reason: r.reason,
    }));
  }

  private appendHistory(entry: Omit<HistoryEntry, 'at'>): void {
    this.db
      .prepare('INSERT INTO registry_history (task, at, pointer, from_version, to_version, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.task, this.now(), entry.pointer, entry.fromVersion, entry.toVersion, entry.actor, entry.reason);
  }

  /** A pointer must name a stored version of its task, or serving would load nothing. */
  private requireVersionOf(task: string, versionId: string): void {
    if (!this.hasVersion(task, versionId)) throw new Error(`unknown program version ${versionId} of task "${task}"`);
  }
}
