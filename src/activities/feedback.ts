/** Feedback in (persisted exactly once per prediction id) and live accuracy out. */
import { percentile } from '../core/stats/percentile';
import type { Deps } from './deps';
import type { KkachiActivities } from '../contract';
import { recordFeedback } from './metrics';

export function feedbackActivities({ store }: Deps): Pick<KkachiActivities, 'persistFeedback' | 'liveMetrics'> {
  return {
    async persistFeedback(task, records) {
      // The registry is the one source of truth for what is in service, whoever moved the pointer.
      const { active } = await store.getPointers(task);
      const stamped = records.map((r) => (r.versionId ? r : { ...r, versionId: active }));
      const result = await store.insertFeedback(task, stamped);
      recordFeedback(task, result.inserted, result.duplicates);
      return { ...result, active };
    },

    async liveMetrics(task, { versionId, sinceMs }) {
      const [{ n, correct }, latencies] = await Promise.all([store.liveStats(task, versionId, sinceMs), store.predictionLatencies(task, versionId, sinceMs)]);
      // p50 of the predictions served over HTTP since then: what the canary's latency rule compares.
      return { versionId, n, correct, accuracy: n === 0 ? null : correct / n, p50Ms: latencies.length === 0 ? null : percentile(latencies, 50) };
    },
  };
}
