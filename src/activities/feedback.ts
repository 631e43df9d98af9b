/** Feedback in (persisted exactly once per prediction id) and live accuracy out. */
import type { Deps } from './deps';
import type { KkachiActivities } from '../contract';
import { recordFeedback } from './metrics';

export function feedbackActivities({ store }: Deps): Pick<KkachiActivities, 'persistFeedback' | 'liveMetrics'> {
  return {
    async persistFeedback(task, records) {
      const result = await store.insertFeedback(task, records);
      recordFeedback(task, result.inserted, result.duplicates);
      return result;
    },

    async liveMetrics(task, { versionId, sinceMs }) {
      const { n, correct } = await store.liveStats(task, versionId, sinceMs);
      return { versionId, n, correct, accuracy: n === 0 ? null : correct / n };
    },
  };
}
