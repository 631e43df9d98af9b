/**
 * The learner examples' closing numbers, one row per version: what the cycles decided, how each
 * version scored on the held-out set (its last stored report) and how it did live — served
 * predictions, feedback rate, and per label (or, for answers, token F1 / exact match) on what the
 * simulated users asked it. Built only from the store, the learner's status and the users' tallies.
 */
import type { CycleRecord, CycleTrigger, LearnerStatus } from '../contract';
import type { EvalRow } from '../core/evaluate';
import { summarizeForTask, type TaskSummary } from '../core/report-summary';
import { parseSignature, type Signature } from '../core/signature';
import type { TaskSpecInput } from '../core/task-spec';
import type { Example } from '../core/types';
import type { Store } from '../store';
import type { Answered, SimulatorCounts } from './simulator';

export interface LearnerVersionRow {
  /** `baseline`, or the cycle that made it: `cycle 2`. */
  label: string;
  versionId: string;
  /** What started the cycle that made it (null for the baseline). */
  trigger: CycleTrigger | null;
  /** The cycle's decision, or `baseline`. */
  decision: string;
  reason: string;
  active: boolean;
  /** Its last held-out evaluation (the gate's rows). */
  heldOut: TaskSummary | null;
  heldOutAccuracy: number | null;
  /** Predictions it served over HTTP, corrections / predictions, confirmations / feedback. */
  served: number;
  feedbackRate: number | null;
  liveAccuracy: number | null;
  /** The same numbers as `heldOut`, on the users' live traffic to it. */
  live: TaskSummary | null;
}

/** A stored report's task summary; its rows carry the gold values, so no examples are needed. */
export function reportSummary(rows: readonly EvalRow[], signature: Signature): TaskSummary {
  const examples: Example[] = rows.map((r) => ({ id: r.id, inputs: {}, outputs: r.expected ?? {} }));
  return summarizeForTask(rows, examples, signature);
}

/** The users' answers from one version as evaluation rows, summarised like a held-out report. */
function liveSummary(answered: readonly Answered[], signature: Signature): TaskSummary | null {
  if (answered.length === 0) return null;
  const rows: EvalRow[] = answered.map((a) => ({ id: a.example.id, outputs: a.predicted, expected: a.example.outputs, score: 0, passed: false, latencyMs: 0, cached: false }));
  return reportSummary(rows, signature);
}

export async function learnerRows(store: Store, task: string, status: LearnerStatus, answered: readonly Answered[], spec: TaskSpecInput): Promise<LearnerVersionRow[]> {
  const signature = parseSignature(spec.signature as string);
  const [versions, stats, { active }] = await Promise.all([store.versions(task), store.servingStats(task), store.routing(task)]);
  const madeBy = (versionId: string): CycleRecord | undefined => status.cycles.find((c) => c.candidateVersion === versionId);
  const rows: LearnerVersionRow[] = [];
  for (const [i, v] of versions.entries()) {
    const cycle = madeBy(v.versionId);
    const report = v.evalReportId ? await store.getReport(v.evalReportId) : null;
    const live = stats.find((s) => s.versionId === v.versionId);
    rows.push({
      label: i === 0 ? 'baseline' : cycle ? `cycle ${cycle.cycle}` : `version ${i + 1}`,
      versionId: v.versionId,
      trigger: cycle?.trigger ?? null,
      decision: i === 0 ? 'baseline' : (cycle?.decision ?? (v.rolledBack ? 'rolled-back' : 'unfinished')),
      reason: i === 0 ? "the spec's zero-shot program" : (cycle?.reason ?? v.rolledBack?.reason ?? 'its cycle was still running when the demo ended (cancelled with the learner)'),
      active: v.versionId === active,
      heldOut: report ? reportSummary(report.report.rows, signature) : null,
      heldOutAccuracy: report ? report.report.passRate : null,
      served: live?.predictions ?? 0,
      feedbackRate: live?.feedbackRate ?? null,
      liveAccuracy: live?.liveAccuracy ?? null,
      live: liveSummary(
        answered.filter((a) => a.versionId === v.versionId),
        signature,
      ),
    });
  }
  return rows;
}

/** Bookkeeping the run must satisfy; each entry is a human-readable failure. */
export function learnerProblems(status: LearnerStatus, feedback: SimulatorCounts, storeActive: string | null): string[] {
  const problems: string[] = [];
  const c = status.counters;
  if (feedback.corrections + feedback.confirmations !== feedback.sent) problems.push(`simulator: ${feedback.corrections} corrections + ${feedback.confirmations} confirmations ≠ ${feedback.sent} sent`);
  if (c.received !== feedback.sent) problems.push(`the learner received ${c.received} feedback records, the users sent ${feedback.sent}`);
  if (c.corrections !== feedback.corrections) problems.push(`the learner counted ${c.corrections} corrections, the users sent ${feedback.corrections}`);
  if (c.rejected !== 0 || c.duplicates !== 0) problems.push(`the learner rejected ${c.rejected} and deduplicated ${c.duplicates} records; the users send only valid, distinct ones`);
  if (status.cycles.some((cycle) => cycle.decision === 'failed')) problems.push(`a cycle failed: ${status.cycles.find((cycle) => cycle.decision === 'failed')?.reason}`);
  if (storeActive !== status.activeVersion) problems.push(`the registry's active version ${storeActive} is not the learner's ${status.activeVersion}`);
  return problems;
}
