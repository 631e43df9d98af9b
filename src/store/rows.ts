/** How records become rows and back, shared by both back ends so they store byte-identical JSON. */
import { parseArtifact, type ProgramArtifact } from '../core/artifact';
import { contentHash } from '../core/canonical';
import { isCorrection } from '../core/correction';
import type { FeedbackRecord } from '../core/types';
import type { DatasetContent, DatasetSnapshot, HistoryEntry, Pointers } from './types';

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
