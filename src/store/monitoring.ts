/**
 * The seed's monitoring numbers per version of a task, computed in one place for every view of them:
 * `/metrics`, `GET /v1/tasks/:task`, the dashboard, `kkachi task status` and the learner's `status`
 * (through an activity). Serving numbers come from the prediction log and the feedback
 * (`servingStats`), the held-out accuracy from each version's linked evaluation report.
 */
import type { Routing, Store, VersionMetrics, VersionRecord, VersionStatus } from './types';

export type MonitoringStore = Pick<Store, 'versions' | 'routing' | 'servingStats' | 'getReport'>;

/** Pass rates by report id: reports never change once stored, so a process reads each once. */
const passRates = new Map<string, number | null>();
/** Bound on remembered pass rates (a few bytes each). */
const PASS_RATES_KEPT = 10_000;

async function passRate(store: MonitoringStore, reportId: string | null): Promise<number | null> {
  if (reportId === null) return null;
  const known = passRates.get(reportId);
  if (known !== undefined) return known;
  const stored = await store.getReport(reportId);
  const rate = stored ? stored.report.passRate : null;
  if (passRates.size >= PASS_RATES_KEPT) passRates.clear();
  if (stored) passRates.set(reportId, rate);
  return rate;
}

function statusOf(v: VersionRecord, routing: Routing): VersionStatus {
  if (routing.active === v.versionId) return 'active';
  if (routing.canary?.versionId === v.versionId) return 'canary';
  if (v.rolledBack) return 'rolled back';
  return v.servedAt.length > 0 ? 'served before' : 'never served';
}

/** Every version of the task, oldest first, with its serving numbers, status and held-out accuracy. */
export async function versionMetrics(store: MonitoringStore, task: string): Promise<VersionMetrics[]> {
  const [versions, routing, stats] = await Promise.all([store.versions(task), store.routing(task), store.servingStats(task)]);
  const heldOut = await Promise.all(versions.map((v) => passRate(store, v.evalReportId)));
  return versions.map((v, i): VersionMetrics => {
    const served = stats.find((s) => s.versionId === v.versionId);
    const accuracy = heldOut[i] ?? null;
    const before = i > 0 ? (heldOut[i - 1] ?? null) : null;
    return {
      versionId: v.versionId,
      createdAt: v.createdAt,
      status: statusOf(v, routing),
      rolledBackReason: v.rolledBack?.reason ?? null,
      heldOut: accuracy,
      heldOutChange: accuracy !== null && before !== null ? accuracy - before : null,
      predictions: served?.predictions ?? 0,
      failures: served?.failures ?? 0,
      latency: served?.latency ?? null,
      feedback: served?.feedback ?? 0,
      corrections: served?.corrections ?? 0,
      feedbackRate: served?.feedbackRate ?? null,
      liveAccuracy: served?.liveAccuracy ?? null,
    };
  });
}
