/** The store's interface and the plain records it reads and writes. */
import type { ProgramArtifact } from '../core/artifact';
import type { EvalReport } from '../core/evaluate';
import type { Example, FeedbackRecord, Fields, VersionServingStats } from '../core/types';

export type { LatencyStats, VersionMetrics, VersionServingStats, VersionStatus } from '../core/types';

export interface FeedbackCounts {
  total: number;
  /** Records whose correct output differs from the prediction (canonical JSON). */
  corrections: number;
}

export interface DatasetContent {
  task: string;
  train: Example[];
  val: Example[];
  holdout: Example[];
}

/** A frozen dataset; `id` is the content hash of {task, train, val, holdout}. */
export interface DatasetSnapshot extends DatasetContent {
  id: string;
}

export interface StoredReport {
  id: string;
  task: string;
  versionId: string;
  report: EvalReport;
  createdAt: number;
}

export type PointerName = 'active' | 'previous' | 'candidate' | 'canary';

export interface Pointers {
  active: string | null;
  previous: string | null;
  candidate: string | null;
}

export interface PointerMove {
  actor: string;
  reason: string;
}

export interface CompareAndSet extends PointerMove {
  /** The version `active` must hold for the move to happen (null: no version yet). */
  expected: string | null;
  next: string;
}

export interface HistoryEntry {
  task: string;
  at: number;
  pointer: PointerName;
  fromVersion: string | null;
  toVersion: string | null;
  actor: string;
  reason: string;
}

export interface StoreOptions {
  /** Clock for created_at / history timestamps (tests pin it). */
  now?: () => number;
  /** SQLite: how long a writer waits for another connection's lock before failing (default 5 s). */
  busyTimeoutMs?: number;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /**
   * SQLite: `synchronous` for this connection (default 'full': every commit survives a power loss).
   * Serving uses 'normal' for its own connection: a commit then survives a crash of the process but
   * not of the machine, and costs ~0.1 ms instead of an fsync (~1 ms here) per prediction batch.
   * PostgreSQL commits as the server is configured.
   */
  synchronous?: 'full' | 'normal';
}

/**
 * The store every Kkachi process shares: program versions, feedback, dataset snapshots, eval reports
 * and the registry pointers per task. Two back ends implement it (SQLite for one host, PostgreSQL for
 * many); callers always await. Every multi-row write is one transaction, and every write a retried
 * activity may repeat is idempotent.
 */
export interface Store {
  close(): Promise<void>;

  /** Records the artifact as a version of the task; idempotent by artifact id. */
  putProgram(task: string, artifact: ProgramArtifact): Promise<void>;
  getProgram(id: string): Promise<ProgramArtifact | null>;
  /** Whether the program was stored as a version of the task. */
  hasVersion(task: string, id: string): Promise<boolean>;
  linkEvalReport(programId: string, reportId: string): Promise<void>;

  /** One transaction; unique by (task, prediction id), so a re-delivered batch inserts nothing. */
  insertFeedback(task: string, records: readonly FeedbackRecord[]): Promise<{ inserted: number; duplicates: number }>;
  /** When each of these prediction ids was received, for those the task has stored. */
  feedbackReceivedAt(task: string, predictionIds: readonly string[]): Promise<Map<string, number>>;
  /** Every record of the task in arrival order. */
  listFeedback(task: string): Promise<FeedbackRecord[]>;
  feedbackCounts(task: string): Promise<FeedbackCounts>;
  /** Feedback on one version received at or after sinceMs; a confirmation counts as correct. */
  liveStats(task: string, versionId: string, sinceMs: number): Promise<{ n: number; correct: number }>;

  /** Content-addressed: the id is computed by the store, so equal content is stored once under one id. */
  putDataset(content: DatasetContent): Promise<DatasetSnapshot>;
  getDataset(id: string): Promise<DatasetSnapshot | null>;

  /** Idempotent by id (reports are content-addressed by their caller). */
  putReport(id: string, task: string, versionId: string, report: EvalReport): Promise<void>;
  getReport(id: string): Promise<StoredReport | null>;

  getPointers(task: string): Promise<Pointers>;
  /**
   * Atomically makes `next` active (and the old active `previous`) only when `active` still equals
   * `expected`. Resolves false, changing and recording nothing, when another writer got there first.
   */
  compareAndSetActive(task: string, cas: CompareAndSet): Promise<boolean>;
  /** Marks the version awaiting the gate (null clears it); a no-op move is not recorded. */
  setCandidate(task: string, versionId: string | null, move: PointerMove): Promise<void>;
  /** Every pointer change of the task, oldest first. */
  registryHistory(task: string): Promise<HistoryEntry[]>;
  /**
   * Takes `from` out of service when it is still active: marks it rolled back and makes the last
   * version that served well before it active again (`previous` becomes the one before that).
   * Resolves the version restored, or null when `from` is not active or nothing earlier is left.
   */
  rollBack(task: string, from: string, move: PointerMove): Promise<string | null>;
  /** Every version of the task, oldest first, with when it served and whether it was rolled back. */
  versions(task: string): Promise<VersionRecord[]>;
  /** Active version and canary in one read, so a request never sees half of a change. */
  routing(task: string): Promise<Routing>;
  /** Starts (or, with null, ends) a canary; idempotent, and a no-op move is not recorded. */
  setCanary(task: string, canary: Canary | null, move: PointerMove): Promise<void>;
  /**
   * An operator's rollback during a canary: when `versionId` is still the canary, ends the canary and
   * marks the version rolled back in one move. Resolves false, recording nothing, otherwise.
   */
  rollBackCanary(task: string, versionId: string, move: PointerMove): Promise<boolean>;

  /** Records (or replaces) the spec a task's learner runs with. */
  putTaskSpec(task: string, spec: unknown): Promise<void>;
  getTaskSpec(task: string): Promise<unknown>;
  /** Every task the store knows: with a spec or with registry pointers. */
  listTasks(): Promise<string[]>;

  /** The prediction log: one transaction per batch; idempotent by (task, prediction id). */
  logPredictions(entries: readonly PredictionLogEntry[]): Promise<void>;
  getPrediction(task: string, predictionId: string): Promise<PredictionLogEntry | null>;
  /** Notes that feedback on these ids reached Temporal; resolves to the ids noted for the first time. */
  recordFeedbackReceipts(task: string, predictionIds: readonly string[]): Promise<string[]>;
  /** Whether feedback on the prediction id already reached Temporal through serving. */
  hasFeedbackReceipt(task: string, predictionId: string): Promise<boolean>;
  /** Predictions, failures, latency, feedback and corrections per version that served or got feedback. */
  servingStats(task: string): Promise<VersionServingStats[]>;

  /** Latencies (ms) of a version's predictions logged at or after sinceMs, newest first, at most LATENCY_SAMPLE. */
  predictionLatencies(task: string, versionId: string, sinceMs: number): Promise<number[]>;

  /** Replaces the checkpoint under `key` (opaque text: the activity owns its format). */
  putCheckpoint(key: string, content: string): Promise<void>;
  getCheckpoint(key: string): Promise<string | null>;
  deleteCheckpoint(key: string): Promise<void>;
}

/** A version serving a share of traffic next to `active` while a rollout watches it. */
export interface Canary {
  versionId: string;
  /** Fraction of keys (0–1) routed to the canary. */
  share: number;
}

/** What serving needs to pick a version for a request, read in one statement. */
export interface Routing {
  active: string | null;
  canary: Canary | null;
}

/** One program version of a task, for history views (status, dashboard). */
export interface VersionRecord {
  versionId: string;
  createdAt: number;
  /** When it became active, each time (promotions and restores), oldest first. */
  servedAt: number[];
  /** Set when a rollback took it out of service; a rollback never restores it, a new promotion clears it. */
  rolledBack: { at: number; reason: string } | null;
  evalReportId: string | null;

}

/** One prediction served over HTTP, as the prediction log keeps it. */
export interface PredictionLogEntry {
  predictionId: string;
  task: string;
  versionId: string;
  inputs: Fields;
  /** Null when the prediction failed (LM error or unparseable reply). */
  outputs: Fields | null;
  error: string | null;
  latencyMs: number;
  createdAt: number;
}

