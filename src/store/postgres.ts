/**
 * The PostgreSQL back end, for many workers and serving replicas on many hosts sharing one store
 * (`KKACHI_STORE_URL=postgres://…`). A pool of connections; multi-statement writes run in one
 * transaction on one connection. Under concurrent writers from any number of processes:
 *   - compare-and-set is one UPDATE … WHERE active IS NOT DISTINCT FROM expected: the second writer
 *     waits on the row lock, re-checks the condition against the committed row, and matches nothing;
 *   - feedback is unique by (task, prediction id) with ON CONFLICT DO NOTHING, so a record inserted
 *     by two processes at once is stored once and counted once.
 */
import { Pool, types as pgTypes, type PoolClient, type PoolConfig } from 'pg';
import type { ProgramArtifact } from '../core/artifact';
import type { EvalReport } from '../core/evaluate';
import type { FeedbackRecord } from '../core/types';
import { migratePostgres } from './migrations';
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
  reportFromRow,
  routingFromRow,
  servingStatsFrom,
  unknownProgram,
  unknownVersion,
  versionsFromRows,
  type FeedbackRow,
  type HistoryRow,
  type JudgedCount,
  type PredictionRow,
  type ReportRow,
  type RoutingRow,
  type ServedCount,
  type VersionRow,
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

/** Rows as one array per column, in `keys` order: the parameters of an `INSERT … SELECT FROM unnest(…)`. */
function columns<R, K extends keyof R>(rows: readonly R[], keys: readonly K[]): R[K][][] {
  return keys.map((key) => rows.map((r) => r[key]));
}

/** Whether a store location names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

const INT8 = 20;
const NUMERIC = 1700;

/** Epoch milliseconds and counts come back as numbers, not strings; beyond 2^53 is an error, not a rounding. */
function parseInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`store returned ${text}, beyond the integers Kkachi handles exactly`);
  return n;
}

const TYPES: NonNullable<PoolConfig['types']> = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? parseInteger : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

export async function openPostgresStore(url: string, options: StoreOptions = {}): Promise<PostgresStore> {
  const pool = new Pool({ connectionString: url, max: options.poolSize ?? 10, types: TYPES });
  // An idle client that loses its server emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw new Error(`cannot open the PostgreSQL store at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  return new PostgresStore(pool, options.now ?? Date.now);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

export class PostgresStore implements Store {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => number,
  ) {}

  async close(): Promise<void> {
    await this.pool.end();
  }

  // ── program versions ───────────────────────────────────────────────────────────────────────────

  async putProgram(task: string, artifact: ProgramArtifact): Promise<void> {
    const at = this.now();
    await this.transaction(async (db) => {
      await db.query('INSERT INTO programs (id, artifact, eval_report_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        artifact.id,
        JSON.stringify(artifact),
        artifact.lineage.evalReportId,
        at,
      ]);
      await db.query('INSERT INTO task_versions (task, version_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [task, artifact.id, at]);
    });
  }

  async getProgram(id: string): Promise<ProgramArtifact | null> {
    const { rows } = await this.pool.query<{ artifact: string; eval_report_id: string | null }>('SELECT artifact, eval_report_id FROM programs WHERE id = $1', [id]);
    const row = rows[0];
    return row ? artifactFromRow(row.artifact, row.eval_report_id) : null;
  }

  async hasVersion(task: string, id: string): Promise<boolean> {
    return versionExists(this.pool, task, id);
  }

  async linkEvalReport(programId: string, reportId: string): Promise<void> {
    const { rowCount } = await this.pool.query('UPDATE programs SET eval_report_id = $1 WHERE id = $2', [reportId, programId]);
    if (!rowCount) throw unknownProgram(programId, reportId);
  }

  // ── feedback ───────────────────────────────────────────────────────────────────────────────────

  /**
   * One statement (so one transaction) for the whole batch, inserted in the batch's order (`seq` keeps
   * arrival order). Two writers inserting overlapping batches in different orders can deadlock on the
   * unique index; PostgreSQL then aborts one statement whole, and re-running it inserts only what the
   * other did not, so each prediction id is still counted once.
   */
  async insertFeedback(task: string, records: readonly FeedbackRecord[]): Promise<{ inserted: number; duplicates: number }> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    const rows = records.map(feedbackToRow);
    const { rowCount } = await retryOnDeadlock(() => this.pool.query(
      `INSERT INTO feedback (task, prediction_id, input, predicted, correct, is_correction, version_id, received_at)
       SELECT $1, prediction_id, input, predicted, correct, is_correction, version_id, received_at
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])
         WITH ORDINALITY AS r (prediction_id, input, predicted, correct, is_correction, version_id, received_at, n)
       ORDER BY n
       ON CONFLICT (task, prediction_id) DO NOTHING`,
      [task, ...columns(rows, ['prediction_id', 'input', 'predicted', 'correct', 'is_correction', 'version_id', 'received_at'])],
    ));
    const inserted = rowCount ?? 0;
    return { inserted, duplicates: records.length - inserted };
  }

  async feedbackReceivedAt(task: string, predictionIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ prediction_id: string; received_at: string }>(
      'SELECT prediction_id, received_at FROM feedback WHERE task = $1 AND prediction_id = ANY($2::text[])',
      [task, predictionIds],
    );
    return new Map(rows.map((r) => [r.prediction_id, Number(r.received_at)]));
  }

  async listFeedback(task: string): Promise<FeedbackRecord[]> {
    const { rows } = await this.pool.query<FeedbackRow>(
      'SELECT prediction_id, input, predicted, correct, version_id, received_at FROM feedback WHERE task = $1 ORDER BY seq',
      [task],
    );
    return rows.map(feedbackFromRow);
  }

  async feedbackCounts(task: string): Promise<FeedbackCounts> {
    const { rows } = await this.pool.query<FeedbackCounts>(
      'SELECT COUNT(*) AS total, COALESCE(SUM(is_correction), 0) AS corrections FROM feedback WHERE task = $1',
      [task],
    );
    const row = rows[0] as FeedbackCounts;
    return { total: row.total, corrections: row.corrections };
  }

  async liveStats(task: string, versionId: string, sinceMs: number): Promise<{ n: number; correct: number }> {
    const { rows } = await this.pool.query<{ n: number; correct: number }>(
      `SELECT COUNT(*) AS n, COALESCE(SUM(1 - is_correction), 0) AS correct
       FROM feedback WHERE task = $1 AND version_id = $2 AND received_at >= $3`,
      [task, versionId, sinceMs],
    );
    const row = rows[0] as { n: number; correct: number };
    return { n: row.n, correct: row.correct };
  }

  // ── dataset snapshots ──────────────────────────────────────────────────────────────────────────

  async putDataset(content: DatasetContent): Promise<DatasetSnapshot> {
    const { snapshot, json } = datasetToRow(content);
    await this.pool.query('INSERT INTO datasets (id, task, content, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [snapshot.id, snapshot.task, json, this.now()]);
    return snapshot;
  }

  async getDataset(id: string): Promise<DatasetSnapshot | null> {
    const { rows } = await this.pool.query<{ task: string; content: string }>('SELECT task, content FROM datasets WHERE id = $1', [id]);
    const row = rows[0];
    return row ? datasetFromRow(id, row.task, row.content) : null;
  }

  // ── eval reports ───────────────────────────────────────────────────────────────────────────────

  async putReport(id: string, task: string, versionId: string, report: EvalReport): Promise<void> {
    await this.pool.query('INSERT INTO eval_reports (id, task, version_id, report, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
      id,
      task,
      versionId,
      JSON.stringify(report),
      this.now(),
    ]);
  }

  async getReport(id: string): Promise<StoredReport | null> {
    const { rows } = await this.pool.query<ReportRow>('SELECT task, version_id, report, created_at FROM eval_reports WHERE id = $1', [id]);
    const row = rows[0];
    return row ? reportFromRow(id, row) : null;
  }

  // ── registry pointers ──────────────────────────────────────────────────────────────────────────

  async getPointers(task: string): Promise<Pointers> {
    const { rows } = await this.pool.query<Pointers>('SELECT active, previous, candidate FROM registry WHERE task = $1', [task]);
    return pointersFromRow(rows[0]);
  }

  async compareAndSetActive(task: string, cas: CompareAndSet): Promise<boolean> {
    return this.transaction(async (db) => {
      if (!(await versionExists(db, task, cas.next))) throw unknownVersion(task, cas.next);
      await db.query('INSERT INTO registry (task) VALUES ($1) ON CONFLICT DO NOTHING', [task]);
      // READ COMMITTED: a concurrent mover holds the row lock; once it commits, this WHERE is
      // re-evaluated against its row, so a stale `expected` matches nothing.
      const { rowCount } = await db.query('UPDATE registry SET previous = active, active = $1 WHERE task = $2 AND active IS NOT DISTINCT FROM $3', [
        cas.next,
        task,
        cas.expected,
      ]);
      if (!rowCount) return false;
      // A promotion is fresh evidence: a version rolled back earlier may serve again.
      await db.query('UPDATE task_versions SET rolled_back_at = NULL, rolled_back_reason = NULL WHERE task = $1 AND version_id = $2', [task, cas.next]);
      await this.appendHistory(db, { task, pointer: 'active', fromVersion: cas.expected, toVersion: cas.next, actor: cas.actor, reason: cas.reason });
      return true;
    });
  }

  async rollBack(task: string, from: string, move: PointerMove): Promise<string | null> {
    return this.transaction(async (db) => {
      // FOR UPDATE: no pointer moves between reading the history and restoring from it.
      const { rows } = await db.query<{ active: string | null }>('SELECT active FROM registry WHERE task = $1 FOR UPDATE', [task]);
      if (rows[0]?.active !== from) return null;
      const marked = await db.query<{ version_id: string }>('SELECT version_id FROM task_versions WHERE task = $1 AND rolled_back_at IS NOT NULL', [task]);
      const rolledBack = new Set(marked.rows.map((r) => r.version_id)).add(from);
      const [restore, previous = null] = goodVersionsBefore(await history(db, task), from, rolledBack);
      if (restore === undefined) return null;
      await db.query('UPDATE registry SET active = $1, previous = $2 WHERE task = $3', [restore, previous, task]);
      await db.query('UPDATE task_versions SET rolled_back_at = $1, rolled_back_reason = $2 WHERE task = $3 AND version_id = $4', [this.now(), move.reason, task, from]);
      await this.appendHistory(db, { task, pointer: 'active', fromVersion: from, toVersion: restore, ...move });
      return restore;
    });
  }

  async versions(task: string): Promise<VersionRecord[]> {
    // Versions stored in the same millisecond come in id order (SQLite: insertion order).
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT v.version_id, v.created_at, v.rolled_back_at, v.rolled_back_reason, p.eval_report_id
       FROM task_versions v JOIN programs p ON p.id = v.version_id WHERE v.task = $1 ORDER BY v.created_at, v.version_id`,
      [task],
    );
    return versionsFromRows(rows, await history(this.pool, task));
  }

  async routing(task: string): Promise<Routing> {
    const { rows } = await this.pool.query<RoutingRow>('SELECT active, canary, canary_share FROM registry WHERE task = $1', [task]);
    return routingFromRow(rows[0]);
  }

  async setCanary(task: string, canary: Canary | null, move: PointerMove): Promise<void> {
    await this.transaction(async (db) => {
      if (canary !== null && !(await versionExists(db, task, canary.versionId))) throw unknownVersion(task, canary.versionId);
      await db.query('INSERT INTO registry (task) VALUES ($1) ON CONFLICT DO NOTHING', [task]);
      const { rows } = await db.query<RoutingRow>('SELECT active, canary, canary_share FROM registry WHERE task = $1 FOR UPDATE', [task]);
      const from = routingFromRow(rows[0]).canary;
      if (from?.versionId === canary?.versionId && from?.share === canary?.share) return;
      await db.query('UPDATE registry SET canary = $1, canary_share = $2 WHERE task = $3', [canary?.versionId ?? null, canary?.share ?? null, task]);
      await this.appendHistory(db, { task, pointer: 'canary', fromVersion: from?.versionId ?? null, toVersion: canary?.versionId ?? null, ...move });
    });
  }

  async rollBackCanary(task: string, versionId: string, move: PointerMove): Promise<boolean> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<RoutingRow>('SELECT active, canary, canary_share FROM registry WHERE task = $1 FOR UPDATE', [task]);
      if (routingFromRow(rows[0]).canary?.versionId !== versionId) return false;
      await db.query('UPDATE registry SET canary = NULL, canary_share = NULL WHERE task = $1', [task]);
      await db.query('UPDATE task_versions SET rolled_back_at = $1, rolled_back_reason = $2 WHERE task = $3 AND version_id = $4', [this.now(), move.reason, task, versionId]);
      await this.appendHistory(db, { task, pointer: 'canary', fromVersion: versionId, toVersion: null, ...move });
      return true;
    });
  }

  async setCandidate(task: string, versionId: string | null, move: PointerMove): Promise<void> {
    await this.transaction(async (db) => {
      if (versionId !== null && !(await versionExists(db, task, versionId))) throw unknownVersion(task, versionId);
      await db.query('INSERT INTO registry (task) VALUES ($1) ON CONFLICT DO NOTHING', [task]);
      // FOR UPDATE: the candidate read and its history entry belong to one move, not two interleaved ones.
      const { rows } = await db.query<{ candidate: string | null }>('SELECT candidate FROM registry WHERE task = $1 FOR UPDATE', [task]);
      const from = rows[0]?.candidate ?? null;
      if (from === versionId) return;
      await db.query('UPDATE registry SET candidate = $1 WHERE task = $2', [versionId, task]);
      await this.appendHistory(db, { task, pointer: 'candidate', fromVersion: from, toVersion: versionId, ...move });
    });
  }

  async predictionLatencies(task: string, versionId: string, sinceMs: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ latency_ms: number }>(
      'SELECT latency_ms FROM predictions WHERE task = $1 AND version_id = $2 AND created_at >= $3 ORDER BY created_at DESC LIMIT $4',
      [task, versionId, sinceMs, LATENCY_SAMPLE],
    );
    return rows.map((r) => Number(r.latency_ms));
  }

  // ── activity checkpoints ───────────────────────────────────────────────────────────────────────

  async putCheckpoint(key: string, content: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO checkpoints (key, content, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at',
      [key, content, this.now()],
    );
  }

  async getCheckpoint(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ content: string }>('SELECT content FROM checkpoints WHERE key = $1', [key]);
    return rows[0]?.content ?? null;
  }

  async deleteCheckpoint(key: string): Promise<void> {
    await this.pool.query('DELETE FROM checkpoints WHERE key = $1', [key]);
  }

  async registryHistory(task: string): Promise<HistoryEntry[]> {
    return history(this.pool, task);
  }

  // ── task specs ─────────────────────────────────────────────────────────────────────────────────

  async putTaskSpec(task: string, spec: unknown): Promise<void> {
    await this.pool.query(
      'INSERT INTO task_specs (task, spec, updated_at) VALUES ($1, $2, $3) ON CONFLICT (task) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at',
      [task, JSON.stringify(spec), this.now()],
    );
  }

  async getTaskSpec(task: string): Promise<unknown> {
    const { rows } = await this.pool.query<{ spec: string }>('SELECT spec FROM task_specs WHERE task = $1', [task]);
    return rows[0] ? JSON.parse(rows[0].spec) : null;
  }

  async listTasks(): Promise<string[]> {
    const { rows } = await this.pool.query<{ task: string }>('SELECT task FROM task_specs UNION SELECT task FROM registry ORDER BY task');
    return rows.map((r) => r.task);
  }

  // ── prediction log ─────────────────────────────────────────────────────────────────────────────

  /** One statement for the batch. */
  async logPredictions(entries: readonly PredictionLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(predictionToRow);
    await this.pool.query(
      `INSERT INTO predictions (task, id, version_id, inputs, outputs, error, latency_ms, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::double precision[], $8::bigint[])
       ON CONFLICT (task, id) DO NOTHING`,
      columns(rows, ['task', 'id', 'version_id', 'inputs', 'outputs', 'error', 'latency_ms', 'created_at']),
    );
  }

  async getPrediction(task: string, predictionId: string): Promise<PredictionLogEntry | null> {
    const { rows } = await this.pool.query<PredictionRow>('SELECT * FROM predictions WHERE task = $1 AND id = $2', [task, predictionId]);
    return rows[0] ? predictionFromRow(rows[0]) : null;
  }

  async recordFeedbackReceipts(task: string, predictionIds: readonly string[]): Promise<string[]> {
    if (predictionIds.length === 0) return [];
    const { rows } = await this.pool.query<{ prediction_id: string }>(
      `INSERT INTO feedback_receipts (task, prediction_id, received_at)
       SELECT $1, id, $3 FROM unnest($2::text[]) AS r (id)
       ON CONFLICT (task, prediction_id) DO NOTHING RETURNING prediction_id`,
      [task, [...predictionIds], this.now()],
    );
    const recorded = new Set(rows.map((r) => r.prediction_id));
    return predictionIds.filter((id) => recorded.has(id));
  }

  async hasFeedbackReceipt(task: string, predictionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM feedback_receipts WHERE task = $1 AND prediction_id = $2', [task, predictionId]);
    return Boolean(rowCount);
  }

  async servingStats(task: string): Promise<VersionServingStats[]> {
    const [served, judged, sampled] = await Promise.all([
      this.pool.query<ServedCount>(
        'SELECT version_id, COUNT(*) AS n, COALESCE(SUM(CASE WHEN error IS NULL THEN 0 ELSE 1 END), 0) AS failures FROM predictions WHERE task = $1 GROUP BY version_id',
        [task],
      ),
      this.pool.query<JudgedCount>(
        'SELECT version_id, COUNT(*) AS n, COALESCE(SUM(is_correction), 0) AS corrections FROM feedback WHERE task = $1 AND version_id IS NOT NULL GROUP BY version_id',
        [task],
      ),
      this.pool.query<{ version_id: string; latency_ms: number }>(
        `SELECT version_id, latency_ms FROM (
           SELECT version_id, latency_ms, ROW_NUMBER() OVER (PARTITION BY version_id ORDER BY created_at DESC) AS k FROM predictions WHERE task = $1
         ) AS recent WHERE k <= $2`,
        [task, LATENCY_SAMPLE],
      ),
    ]);
    return servingStatsFrom(served.rows, judged.rows, (versionId) => sampled.rows.filter((r) => r.version_id === versionId).map((r) => r.latency_ms));
  }

  private async appendHistory(db: PoolClient, entry: Omit<HistoryEntry, 'at'>): Promise<void> {
    await db.query('INSERT INTO registry_history (task, at, pointer, from_version, to_version, actor, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      entry.task,
      this.now(),
      entry.pointer,
      entry.fromVersion,
      entry.toVersion,
      entry.actor,
      entry.reason,
    ]);
  }

  /** Runs `work` in one transaction on one pooled connection; any throw rolls it back. */
  private async transaction<T>(work: (db: PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const result = await work(db);
      await db.query('COMMIT');
      return result;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }
}

async function versionExists(db: Pool | PoolClient, task: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM task_versions WHERE task = $1 AND version_id = $2', [task, id]);
  return Boolean(rowCount);
}

async function history(db: Pool | PoolClient, task: string): Promise<HistoryEntry[]> {
  const { rows } = await db.query<HistoryRow>('SELECT task, at, pointer, from_version, to_version, actor, reason FROM registry_history WHERE task = $1 ORDER BY seq', [task]);
  return rows.map(historyFromRow);
}

/** SQLSTATE 40P01: PostgreSQL chose this statement as a deadlock's victim and rolled it back. */
async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= attempts) throw err;
    }
  }
}
