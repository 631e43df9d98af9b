/**
 * The SQLite back end: one file under KKACHI_HOME, for one host. better-sqlite3 is synchronous, so
 * each method runs to completion inside its promise; every multi-row write is one IMMEDIATE
 * transaction (the write lock is taken before reading), so several processes on one file serialise.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import type { ProgramArtifact } from '../core/artifact';
import type { EvalReport } from '../core/evaluate';
import type { FeedbackRecord } from '../core/types';
import { migrateSqlite } from './migrations';
import { goodVersionsBefore } from './version-history';
import {
  artifactFromRow,
  datasetFromRow,
  datasetToRow,
  feedbackFromRow,
  feedbackToRow,
  historyFromRow,
  LATENCY_SAMPLE,
  pointersFromRow,
  predictionFromRow,
  predictionToRow,
  servingStatsFrom,
  unknownProgram,
  unknownVersion,
  reportFromRow,
  routingFromRow,
  versionsFromRows,
  type FeedbackRow,
  type HistoryRow,
  type RoutingRow,
  type VersionRow,
  type JudgedCount,
  type PredictionRow,
  type ReportRow,
  type ServedCount,
} from './rows';
import type {
  Canary,
  CompareAndSet,
  DatasetContent,
  DatasetSnapshot,
  FeedbackCounts,
  HistoryEntry,
  PointerMove,
  Pointers,
  PredictionLogEntry,
  Routing,
  Store,
  StoredReport,
  StoreOptions,
  VersionRecord,
  VersionServingStats,
} from './types';

/** Opens (creating and migrating) the SQLite store at `path`, or an in-memory one for ':memory:'. */
export function openSqliteStore(path: string, options: StoreOptions = {}): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  // WAL: readers (serving) never block the writer (activities) and vice versa.
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  migrateSqlite(db);
  return new SqliteStore(db, options.now ?? Date.now);
}

export class SqliteStore implements Store {
  /** Prepared once per connection: preparing costs more than running the small reads serving does per request. */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // ── program versions ───────────────────────────────────────────────────────────────────────────

  async putProgram(task: string, artifact: ProgramArtifact): Promise<void> {
    const at = this.now();
    this.db.transaction(() => {
      this.sql('INSERT OR IGNORE INTO programs (id, artifact, eval_report_id, created_at) VALUES (?, ?, ?, ?)')
        .run(artifact.id, JSON.stringify(artifact), artifact.lineage.evalReportId, at);
      this.sql('INSERT OR IGNORE INTO task_versions (task, version_id, created_at) VALUES (?, ?, ?)').run(task, artifact.id, at);
    }).immediate();
  }

  async getProgram(id: string): Promise<ProgramArtifact | null> {
    const row = this.sql('SELECT artifact, eval_report_id FROM programs WHERE id = ?').get(id) as
      | { artifact: string; eval_report_id: string | null }
      | undefined;
    return row ? artifactFromRow(row.artifact, row.eval_report_id) : null;
  }

  async hasVersion(task: string, id: string): Promise<boolean> {
    return this.versionExists(task, id);
  }

  async linkEvalReport(programId: string, reportId: string): Promise<void> {
    const { changes } = this.sql('UPDATE programs SET eval_report_id = ? WHERE id = ?').run(reportId, programId);
    if (changes === 0) throw unknownProgram(programId, reportId);
  }

  // ── feedback ───────────────────────────────────────────────────────────────────────────────────

  async insertFeedback(task: string, records: readonly FeedbackRecord[]): Promise<{ inserted: number; duplicates: number }> {
    const insert = this.sql(
      `INSERT OR IGNORE INTO feedback (task, prediction_id, input, predicted, correct, is_correction, version_id, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      let inserted = 0;
      for (const record of records) {
        const r = feedbackToRow(record);
        inserted += insert.run(task, r.prediction_id, r.input, r.predicted, r.correct, r.is_correction, r.version_id, r.received_at).changes;
      }
      return { inserted, duplicates: records.length - inserted };
    }).immediate();
  }

  async feedbackReceivedAt(task: string, predictionIds: readonly string[]): Promise<Map<string, number>> {
    const rows = this.sql('SELECT prediction_id, received_at FROM feedback WHERE task = ? AND prediction_id IN (SELECT value FROM json_each(?))').all(
      task,
      JSON.stringify(predictionIds),
    ) as { prediction_id: string; received_at: number }[];
    return new Map(rows.map((r) => [r.prediction_id, Number(r.received_at)]));
  }

  async listFeedback(task: string): Promise<FeedbackRecord[]> {
    const rows = this.sql('SELECT prediction_id, input, predicted, correct, version_id, received_at FROM feedback WHERE task = ? ORDER BY seq')
      .all(task) as FeedbackRow[];
    return rows.map(feedbackFromRow);
  }

  async feedbackCounts(task: string): Promise<FeedbackCounts> {
    const row = this.sql('SELECT COUNT(*) AS total, COALESCE(SUM(is_correction), 0) AS corrections FROM feedback WHERE task = ?')
      .get(task) as FeedbackCounts;
    return { total: row.total, corrections: row.corrections };
  }

  async liveStats(task: string, versionId: string, sinceMs: number): Promise<{ n: number; correct: number }> {
    const row = this.sql(
        `SELECT COUNT(*) AS n, COALESCE(SUM(1 - is_correction), 0) AS correct
         FROM feedback WHERE task = ? AND version_id = ? AND received_at >= ?`,
      )
      .get(task, versionId, sinceMs) as { n: number; correct: number };
    return { n: row.n, correct: row.correct };
  }

  // ── dataset snapshots ──────────────────────────────────────────────────────────────────────────

  async putDataset(content: DatasetContent): Promise<DatasetSnapshot> {
    const { snapshot, json } = datasetToRow(content);
    this.sql('INSERT OR IGNORE INTO datasets (id, task, content, created_at) VALUES (?, ?, ?, ?)').run(snapshot.id, snapshot.task, json, this.now());
    return snapshot;
  }

  async getDataset(id: string): Promise<DatasetSnapshot | null> {
    const row = this.sql('SELECT task, content FROM datasets WHERE id = ?').get(id) as { task: string; content: string } | undefined;
    return row ? datasetFromRow(id, row.task, row.content) : null;
  }

  // ── eval reports ───────────────────────────────────────────────────────────────────────────────

  async putReport(id: string, task: string, versionId: string, report: EvalReport): Promise<void> {
    this.sql('INSERT OR IGNORE INTO eval_reports (id, task, version_id, report, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, task, versionId, JSON.stringify(report), this.now());
  }

  async getReport(id: string): Promise<StoredReport | null> {
    const row = this.sql('SELECT task, version_id, report, created_at FROM eval_reports WHERE id = ?').get(id) as ReportRow | undefined;
    return row ? reportFromRow(id, row) : null;
  }

  // ── registry pointers ──────────────────────────────────────────────────────────────────────────

  async getPointers(task: string): Promise<Pointers> {
    return this.pointers(task);
  }

  async compareAndSetActive(task: string, cas: CompareAndSet): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.versionExists(task, cas.next)) throw unknownVersion(task, cas.next);
      this.sql('INSERT OR IGNORE INTO registry (task) VALUES (?)').run(task);
      const { changes } = this.sql('UPDATE registry SET previous = active, active = ? WHERE task = ? AND active IS ?')
        .run(cas.next, task, cas.expected);
      if (changes === 0) return false;
      // A promotion is fresh evidence: a version rolled back earlier may serve again.
      this.sql('UPDATE task_versions SET rolled_back_at = NULL, rolled_back_reason = NULL WHERE task = ? AND version_id = ?').run(task, cas.next);
      this.appendHistory({ task, pointer: 'active', fromVersion: cas.expected, toVersion: cas.next, actor: cas.actor, reason: cas.reason });
      return true;
    }).immediate();
  }

  async rollBack(task: string, from: string, move: PointerMove): Promise<string | null> {
    return this.db.transaction(() => {
      if (this.pointers(task).active !== from) return null;
      const rolledBack = new Set(this.rolledBackVersions(task)).add(from);
      const [restore, previous = null] = goodVersionsBefore(this.history(task), from, rolledBack);
      if (restore === undefined) return null;
      this.sql('UPDATE registry SET active = ?, previous = ? WHERE task = ? AND active = ?').run(restore, previous, task, from);
      this.sql('UPDATE task_versions SET rolled_back_at = ?, rolled_back_reason = ? WHERE task = ? AND version_id = ?')
        .run(this.now(), move.reason, task, from);
      this.appendHistory({ task, pointer: 'active', fromVersion: from, toVersion: restore, ...move });
      return restore;
    }).immediate();
  }

  async versions(task: string): Promise<VersionRecord[]> {
    const rows = this.sql(
        `SELECT v.version_id, v.created_at, v.rolled_back_at, v.rolled_back_reason, p.eval_report_id
         FROM task_versions v JOIN programs p ON p.id = v.version_id WHERE v.task = ? ORDER BY v.created_at, v.rowid`,
      )
      .all(task) as VersionRow[];
    return versionsFromRows(rows, this.history(task));
  }

  async routing(task: string): Promise<Routing> {
    return this.route(task);
  }

  async setCanary(task: string, canary: Canary | null, move: PointerMove): Promise<void> {
    this.db.transaction(() => {
      if (canary !== null && !this.versionExists(task, canary.versionId)) throw unknownVersion(task, canary.versionId);
      const from = this.route(task).canary;
      if (from?.versionId === canary?.versionId && from?.share === canary?.share) return;
      this.sql(
          `INSERT INTO registry (task, canary, canary_share) VALUES (?, ?, ?)
           ON CONFLICT (task) DO UPDATE SET canary = excluded.canary, canary_share = excluded.canary_share`,
        )
        .run(task, canary?.versionId ?? null, canary?.share ?? null);
      this.appendHistory({ task, pointer: 'canary', fromVersion: from?.versionId ?? null, toVersion: canary?.versionId ?? null, ...move });
    }).immediate();
  }

  async rollBackCanary(task: string, versionId: string, move: PointerMove): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.route(task).canary?.versionId !== versionId) return false;
      this.sql('UPDATE registry SET canary = NULL, canary_share = NULL WHERE task = ?').run(task);
      this.sql('UPDATE task_versions SET rolled_back_at = ?, rolled_back_reason = ? WHERE task = ? AND version_id = ?')
        .run(this.now(), move.reason, task, versionId);
      this.appendHistory({ task, pointer: 'canary', fromVersion: versionId, toVersion: null, ...move });
      return true;
    }).immediate();
  }

  async setCandidate(task: string, versionId: string | null, move: PointerMove): Promise<void> {
    this.db.transaction(() => {
      if (versionId !== null && !this.versionExists(task, versionId)) throw unknownVersion(task, versionId);
      const from = this.pointers(task).candidate;
      if (from === versionId) return;
      this.sql('INSERT INTO registry (task, candidate) VALUES (?, ?) ON CONFLICT (task) DO UPDATE SET candidate = excluded.candidate')
        .run(task, versionId);
      this.appendHistory({ task, pointer: 'candidate', fromVersion: from, toVersion: versionId, ...move });
    }).immediate();
  }

  async predictionLatencies(task: string, versionId: string, sinceMs: number): Promise<number[]> {
    const rows = this.sql('SELECT latency_ms FROM predictions WHERE task = ? AND version_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?')
      .all(task, versionId, sinceMs, LATENCY_SAMPLE) as { latency_ms: number }[];
    return rows.map((r) => r.latency_ms);
  }

  // ── activity checkpoints ───────────────────────────────────────────────────────────────────────

  async putCheckpoint(key: string, content: string): Promise<void> {
    this.sql('INSERT INTO checkpoints (key, content, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at')
      .run(key, content, this.now());
  }

  async getCheckpoint(key: string): Promise<string | null> {
    const row = this.sql('SELECT content FROM checkpoints WHERE key = ?').get(key) as { content: string } | undefined;
    return row?.content ?? null;
  }

  async deleteCheckpoint(key: string): Promise<void> {
    this.sql('DELETE FROM checkpoints WHERE key = ?').run(key);
  }

  async registryHistory(task: string): Promise<HistoryEntry[]> {
    return this.history(task);
  }

  // Synchronous helpers, usable inside a transaction.

  private history(task: string): HistoryEntry[] {
    const rows = this.sql('SELECT task, at, pointer, from_version, to_version, actor, reason FROM registry_history WHERE task = ? ORDER BY seq')
      .all(task) as HistoryRow[];
    return rows.map(historyFromRow);
  }

  private route(task: string): Routing {
    const row = this.sql('SELECT active, canary, canary_share FROM registry WHERE task = ?').get(task) as RoutingRow | undefined;
    return routingFromRow(row);
  }

  private rolledBackVersions(task: string): string[] {
    const rows = this.sql('SELECT version_id FROM task_versions WHERE task = ? AND rolled_back_at IS NOT NULL').all(task) as { version_id: string }[];
    return rows.map((r) => r.version_id);
  }

  // ── task specs and versions ────────────────────────────────────────────────────────────────────

  async putTaskSpec(task: string, spec: unknown): Promise<void> {
    this.sql('INSERT INTO task_specs (task, spec, updated_at) VALUES (?, ?, ?) ON CONFLICT (task) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at')
      .run(task, JSON.stringify(spec), this.now());
  }

  async getTaskSpec(task: string): Promise<unknown> {
    const row = this.sql('SELECT spec FROM task_specs WHERE task = ?').get(task) as { spec: string } | undefined;
    return row ? JSON.parse(row.spec) : null;
  }

  async listTasks(): Promise<string[]> {
    const rows = this.sql('SELECT task FROM task_specs UNION SELECT task FROM registry ORDER BY task').all() as { task: string }[];
    return rows.map((r) => r.task);
  }

  // ── prediction log ─────────────────────────────────────────────────────────────────────────────

  async logPredictions(entries: readonly PredictionLogEntry[]): Promise<void> {
    const insert = this.sql(
      `INSERT OR IGNORE INTO predictions (task, id, version_id, inputs, outputs, error, latency_ms, created_at)
       VALUES (@task, @id, @version_id, @inputs, @outputs, @error, @latency_ms, @created_at)`,
    );
    this.db.transaction(() => {
      for (const e of entries) insert.run(predictionToRow(e));
    }).immediate();
  }

  async getPrediction(task: string, predictionId: string): Promise<PredictionLogEntry | null> {
    const row = this.sql('SELECT * FROM predictions WHERE task = ? AND id = ?').get(task, predictionId) as PredictionRow | undefined;
    return row ? predictionFromRow(row) : null;
  }

  async recordFeedbackReceipts(task: string, predictionIds: readonly string[]): Promise<string[]> {
    const insert = this.sql('INSERT OR IGNORE INTO feedback_receipts (task, prediction_id, received_at) VALUES (?, ?, ?)');
    const at = this.now();
    return this.db.transaction(() => predictionIds.filter((id) => insert.run(task, id, at).changes === 1)).immediate();
  }

  async hasFeedbackReceipt(task: string, predictionId: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM feedback_receipts WHERE task = ? AND prediction_id = ?').get(task, predictionId) !== undefined;
  }

  async servingStats(task: string): Promise<VersionServingStats[]> {
    const served = this.sql('SELECT version_id, COUNT(*) AS n, COALESCE(SUM(CASE WHEN error IS NULL THEN 0 ELSE 1 END), 0) AS failures FROM predictions WHERE task = ? GROUP BY version_id')
      .all(task) as ServedCount[];
    const judged = this.sql('SELECT version_id, COUNT(*) AS n, COALESCE(SUM(is_correction), 0) AS corrections FROM feedback WHERE task = ? AND version_id IS NOT NULL GROUP BY version_id')
      .all(task) as JudgedCount[];
    const latencies = this.sql('SELECT latency_ms FROM predictions WHERE task = ? AND version_id = ? ORDER BY created_at DESC LIMIT ?');
    return servingStatsFrom(served, judged, (versionId) => (latencies.all(task, versionId, LATENCY_SAMPLE) as { latency_ms: number }[]).map((r) => r.latency_ms));
  }

  private pointers(task: string): Pointers {
    return pointersFromRow(this.sql('SELECT active, previous, candidate FROM registry WHERE task = ?').get(task) as Pointers | undefined);
  }

  private versionExists(task: string, id: string): boolean {
    return this.sql('SELECT 1 FROM task_versions WHERE task = ? AND version_id = ?').get(task, id) !== undefined;
  }

  private appendHistory(entry: Omit<HistoryEntry, 'at'>): void {
    this.sql('INSERT INTO registry_history (task, at, pointer, from_version, to_version, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.task, this.now(), entry.pointer, entry.fromVersion, entry.toVersion, entry.actor, entry.reason);
  }
}
