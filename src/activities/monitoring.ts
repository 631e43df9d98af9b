/** The seed's monitoring numbers per version, for the learner's `status` (a query cannot read the store itself). */
import { versionMetrics } from '../store';
import type { KkachiActivities } from '../contract';
import type { Deps } from './deps';

export function monitoringActivities({ store }: Deps): Pick<KkachiActivities, 'versionMetrics'> {
  return {
    async versionMetrics(task, { limit }) {
      const all = await versionMetrics(store, task);
      // The newest `limit`, and whatever serves now even when older (after rollbacks).
      const newest = new Set(all.slice(-limit).map((v) => v.versionId));
      return all.filter((v) => newest.has(v.versionId) || v.status === 'active' || v.status === 'canary');
    },
  };
}
