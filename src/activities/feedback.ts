/** Feedback in (persisted exactly once per prediction id) and live accuracy out. */
import { Context } from '@temporalio/activity';
import type { KkachiActivities } from '../contract';
import { percentile } from '../core/stats/percentile';
import type { FeedbackRecord } from '../core/types';
import type { Store } from '../store';
import type { Deps } from './deps';
import { recordFeedback } from './metrics';

export function feedbackActivities({ store }: Deps): Pick<KkachiActivities, 'persistFeedback' | 'liveMetrics'> {
  return {
    async persistFeedback(task, records) {
      // The registry is the one source of truth for what is in service, whoever moved the pointer.
      const { active } = await store.getPointers(task);
      const stamped = records.map((r) => (r.versionId ? r : { ...r, versionId: active }));
      const first = await store.insertFeedback(task, stamped);
      const result = Context.current().info.attempt > 1 && first.duplicates > 0 ? await countRetried(store, task, stamped) : first;
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

/**
 * A retry of a call whose earlier attempt committed and then failed to report (a worker crash between
 * the two) finds its own records stored: they count as inserted, not as duplicates. A record is ours
 * when the stored row carries the time the workflow received it; a genuine duplicate was received
 * later. Each prediction id counts once.
 */
async function countRetried(store: Store, task: string, records: readonly FeedbackRecord[]): Promise<{ inserted: number; duplicates: number }> {
  const stored = await store.feedbackReceivedAt(task, records.map((r) => r.predictionId));
  const ours = new Set(records.filter((r) => stored.get(r.predictionId) === r.receivedAt).map((r) => r.predictionId));
  return { inserted: ours.size, duplicates: records.length - ours.size };
}
