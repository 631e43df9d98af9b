/** compare: the paired A/B comparison of two stored reports and the spec's decision rule. */
import { ApplicationFailure } from '@temporalio/common';
import { parseSignature } from '../core/signature';
import type { EvalReport } from '../core/evaluate';
import { compareReports, measureRow } from '../core/stats/compare';
import { decide } from '../core/stats/decision';
import { defaultMeasure, recallOf, resolveMeasure, type MeasureRow } from '../core/stats/measures';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
import type { Deps } from './deps';
import { notFound } from './failures';
import type { KkachiActivities } from '../contract';

/** Comparing is pure: reports that cannot be paired (no shared examples) never will be on a retry. */
function comparable<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'IncomparableReports');
  }
}

/** The gate's measure for a spec, with the scored field and its labels (signature order, for the confusion matrix). */
export function gateMeasure(spec: TaskSpec) {
  const outputs = parseSignature(spec.signature).outputs;
  const field = outputs.find((f) => f.name === (spec.metric.field ?? outputs[0]?.name));
  const measure = resolveMeasure(spec.gate.measure ?? defaultMeasure(spec.metric.name), spec.metric.name, field?.choices ?? []);
  return { measure, field: field?.name };
}

/**
 * A report's value on the measure the spec names: what random search ranks its candidates by, so a
 * lopsided candidate loses there as it would at the gate. Where the measure is undefined on a small
 * valset (no example of the recall label), the mean metric score stands in. A candidate under the
 * spec's recall floor is one the gate would refuse: it ranks below every candidate that meets the
 * floor (measures lie in [0, 1], so 1 is taken off), and among such candidates by its measure.
 */
export function measureScore(spec: TaskSpec): (report: EvalReport) => number {
  const { measure, field } = gateMeasure(spec);
  const floor = spec.gate.recallFloor;
  return (report) => {
    const rows = report.rows.map((r) => measureRow(r, field));
    const value = measure.value(rows);
    const score = Number.isFinite(value) ? value : report.meanScore;
    return floor && underFloor(rows, floor) ? score - 1 : score;
  };
}

/** Whether the rows' recall of the floor's label is under it; false when no row has that gold label (NaN: nothing to judge). */
function underFloor(rows: readonly MeasureRow[], floor: { label: string; min: number }): boolean {
  return recallOf(floor.label)(rows) < floor.min;
}

export function gateActivities({ store }: Deps): Pick<KkachiActivities, 'compare'> {
  return {
    async compare(rawSpec, { baselineReportId, candidateReportId }) {
      const spec = parseTaskSpec(rawSpec);
      const baseline = await store.getReport(baselineReportId);
      if (!baseline) throw notFound('eval report', baselineReportId);
      const candidate = await store.getReport(candidateReportId);
      if (!candidate) throw notFound('eval report', candidateReportId);

      // Seeded, so re-running the gate on the same reports gives the same interval and decision.
      const { measure, field } = gateMeasure(spec);
      const comparison = comparable(() =>
        compareReports(baseline.report, candidate.report, { seed: spec.optimizer.seed, measure, field, recallFloor: spec.gate.recallFloor }),
      );
      const { action, reason } = decide(comparison, spec.gate);
      return {
        action,
        reason,
        baseline: { versionId: baseline.versionId, accuracy: comparison.baseline.accuracy, p50Ms: comparison.baseline.p50Ms },
        candidate: { versionId: candidate.versionId, accuracy: comparison.candidate.accuracy, p50Ms: comparison.candidate.p50Ms },
        accuracyDelta: comparison.accuracyDelta,
        ci95: comparison.ci95,
        pValue: comparison.mcnemar.pValue,
        p50DeltaMs: comparison.p50DeltaMs,
        measure: comparison.measure,
        ...(comparison.floor && { floor: comparison.floor }),
      };
    },
  };
}
