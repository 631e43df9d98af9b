/** How records become rows and back, shared by both back ends so they store byte-identical JSON. */
import { parseArtifact, type ProgramArtifact } from '../core/artifact';
import { contentHash } from '../core/canonical';
import { isCorrection } from '../core/correction';
import type { FeedbackRecord } from '../core/types';
import type { DatasetContent, DatasetSnapshot, HistoryEntry, Pointers, Routing, VersionRecord } from './types';

export const NO_POINTERS: Pointers = { active: null, previous: null, candidate: null };

/** The report id is outside the content hash, so it lives in its own column and is merged here. */
export function artifactFromRow(artifactJson: string, evalReportId: string | null): ProgramArtifact {
  const artifact = parseArtifact(JSON.parse(artifactJson));
  return { ...artifact, lineage: { ...artifact.lineage, evalReportId } };
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
