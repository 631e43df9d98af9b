/** How records become rows and back, shared by both back ends so they store byte-identical JSON. */
import { parseArtifact, type ProgramArtifact } from '../core/artifact';
import { contentHash } from '../core/canonical';
import { isCorrection } from '../core/correction';
import { percentile } from '../core/stats/percentile';
import type { FeedbackRecord } from '../core/types';
import type { DatasetContent, DatasetSnapshot, HistoryEntry, Pointers, PredictionLogEntry, Routing, StoredReport, VersionRecord, VersionServingStats } from './types';

export const NO_POINTERS: Pointers = { active: null, previous: null, candidate: null };

/** The report id is outside the content hash, so it lives in its own column and is merged here. */
export function artifactFromRow(artifactJson: string, evalReportId: string | null): ProgramArtifact {
  const artifact = parseArtifact(JSON.parse(artifactJson));
  return { ...artifact, lineage: { ...artifact.lineage, evalReportId } };
}

/** A registry row's pointers; a task without a row has none. */
export function pointersFromRow(row: Pointers | undefined): Pointers {
  return row ? { active: row.active, previous: row.previous, candidate: row.candidate } : { ...NO_POINTERS };
}

export interface ReportRow {
  task: string;
  version_id: string;
  report: string;
  created_at: number;
}

export function reportFromRow(id: string, row: ReportRow): StoredReport {
  return { id, task: row.task, versionId: row.version_id, report: JSON.parse(row.report), createdAt: row.created_at };
}

export interface FeedbackRow {
  prediction_id: string;
  input: string;
  predicted: string;
  correct: string;
  /** 1 when the correct output differs from the prediction (core `isCorrection`), else 0. */
  is_correction: number;
  version_id: string | null;
  received_at: number;
}

export function feedbackToRow(r: FeedbackRecord): FeedbackRow {
  return {
    prediction_id: r.predictionId,
    input: JSON.stringify(r.input),
    predicted: JSON.stringify(r.predicted),
    correct: JSON.stringify(r.correct),
    is_correction: isCorrection(r.predicted, r.correct) ? 1 : 0,
    version_id: r.versionId,
    received_at: r.receivedAt,
  };
}

export function feedbackFromRow(r: Omit<FeedbackRow, 'is_correction'>): FeedbackRecord {
  return {
    predictionId: r.prediction_id,
    input: JSON.parse(r.input),
    predicted: JSON.parse(r.predicted),
    correct: JSON.parse(r.correct),
    versionId: r.version_id,
    receivedAt: Number(r.received_at),
  };
}

/** A snapshot's id is the content hash of {task, train, val, holdout}; the row stores the rest. */
export function datasetToRow(content: DatasetContent): { snapshot: DatasetSnapshot; json: string } {
  const { task, train, val, holdout } = content;
  return { snapshot: { id: contentHash({ task, train, val, holdout }), task, train, val, holdout }, json: JSON.stringify({ train, val, holdout }) };
}

export function datasetFromRow(id: string, task: string, json: string): DatasetSnapshot {
  const { train, val, holdout } = JSON.parse(json) as Omit<DatasetContent, 'task'>;
  return { id, task, train, val, holdout };
}

export interface HistoryRow {
  task: string;
  at: number;
  pointer: HistoryEntry['pointer'];
  from_version: string | null;
  to_version: string | null;
  actor: string;
  reason: string;
}

export function historyFromRow(r: HistoryRow): HistoryEntry {
  return { task: r.task, at: Number(r.at), pointer: r.pointer, fromVersion: r.from_version, toVersion: r.to_version, actor: r.actor, reason: r.reason };
}

/** A pointer must name a stored version of its task, or serving would load nothing. */
export function unknownVersion(task: string, versionId: string): Error {
  return new Error(`unknown program version ${versionId} of task "${task}"`);
}

export function unknownProgram(programId: string, reportId: string): Error {
  return new Error(`cannot link report ${reportId}: unknown program version ${programId}`);
}

export interface VersionRow {
  version_id: string;
  created_at: number;
  rolled_back_at: number | null;
  rolled_back_reason: string | null;
  eval_report_id: string | null;
}

/** Versions oldest first, each with every time it became active (from the registry history). */
export function versionsFromRows(rows: readonly VersionRow[], history: readonly HistoryEntry[]): VersionRecord[] {
  const served = new Map<string, number[]>();
  for (const e of history) {
    if (e.pointer === 'active' && e.toVersion !== null) served.set(e.toVersion, [...(served.get(e.toVersion) ?? []), e.at]);
  }
  return rows.map((r) => ({
    versionId: r.version_id,
    createdAt: Number(r.created_at),
    servedAt: served.get(r.version_id) ?? [],
    rolledBack: r.rolled_back_at === null ? null : { at: Number(r.rolled_back_at), reason: r.rolled_back_reason ?? '' },
    evalReportId: r.eval_report_id,
  }));
}

export interface RoutingRow {
  active: string | null;
  canary: string | null;
  canary_share: number | null;
}

export function routingFromRow(row: RoutingRow | undefined): Routing {
  if (!row) return { active: null, canary: null };
  return { active: row.active, canary: row.canary === null ? null : { versionId: row.canary, share: Number(row.canary_share ?? 0) } };
}

export interface PredictionRow {
  task: string;
  id: string;
  version_id: string;
  inputs: string;
  outputs: string | null;
  error: string | null;
  latency_ms: number;
  created_at: number;
}

export function predictionToRow(e: PredictionLogEntry): PredictionRow {
  return {
    task: e.task,
    id: e.predictionId,
    version_id: e.versionId,
    inputs: JSON.stringify(e.inputs),
    outputs: e.outputs === null ? null : JSON.stringify(e.outputs),
    error: e.error,
    latency_ms: e.latencyMs,
    created_at: e.createdAt,
  };
}

export function predictionFromRow(r: PredictionRow): PredictionLogEntry {
  return {
    predictionId: r.id,
    task: r.task,
    versionId: r.version_id,
    inputs: JSON.parse(r.inputs),
    outputs: r.outputs === null ? null : JSON.parse(r.outputs),
    error: r.error,
    latencyMs: Number(r.latency_ms),
    createdAt: Number(r.created_at),
  };
}

/** Latency percentiles of a version are computed over at most this many of its latest predictions. */
export const LATENCY_SAMPLE = 10_000;

/** Per version: predictions served (and failed), feedback persisted (and corrections). */
export interface ServedCount {
  version_id: string;
  n: number;
  failures: number;
}
export interface JudgedCount {
  version_id: string;
  n: number;
  corrections: number;
}

/** The seed's monitoring numbers per version, from the two counts and each version's latency sample. */
export function servingStatsFrom(served: ServedCount[], judged: JudgedCount[], latencies: (versionId: string) => number[]): VersionServingStats[] {
  const versions = [...new Set([...served.map((r) => r.version_id), ...judged.map((r) => r.version_id)])].sort();
  return versions.map((versionId) => {
    const s = served.find((r) => r.version_id === versionId);
    const j = judged.find((r) => r.version_id === versionId);
    const predictions = Number(s?.n ?? 0);
    const feedback = Number(j?.n ?? 0);
    const corrections = Number(j?.corrections ?? 0);
    const sample = latencies(versionId);
    return {
      versionId,
      predictions,
      failures: Number(s?.failures ?? 0),
      latency: sample.length === 0 ? null : { meanMs: sample.reduce((a, b) => a + b, 0) / sample.length, p50Ms: percentile(sample, 50), p95Ms: percentile(sample, 95) },
      feedback,
      corrections,
      feedbackRate: predictions === 0 ? null : corrections / predictions,
      liveAccuracy: feedback === 0 ? null : (feedback - corrections) / feedback,
    };
  });
}
