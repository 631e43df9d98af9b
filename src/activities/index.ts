/**
 * The activities a Kkachi worker registers: `createActivities(deps)` implements the activity contract
 * (src/contract/activities.ts) over the core library and the store. Each activity is one retryable side effect; what
 * it throws leaves as a classified, redacted Temporal failure (./failures.ts).
 */
import { datasetActivities } from './dataset';
import { resolveDeps, secretsOf, type ActivityDeps } from './deps';
import { evaluateActivities } from './evaluate';
import { evaluateShardActivities } from './evaluate-shards';
import { withFailureMapping } from './failures';
import { feedbackActivities } from './feedback';
import { gateActivities } from './gate';
import { monitoringActivities } from './monitoring';
import { optimizeActivities } from './optimize';
import { preflightActivities } from './preflight';
import { registryActivities } from './registry';
import type { KkachiActivities } from '../contract';

export type { ActivityDeps } from './deps';

export function createActivities(options: ActivityDeps): KkachiActivities {
  const deps = resolveDeps(options);
  const activities: KkachiActivities = {
    ...preflightActivities(deps),
    ...feedbackActivities(deps),
    ...registryActivities(deps),
    ...datasetActivities(deps),
    ...optimizeActivities(deps),
    ...evaluateActivities(deps),
    ...evaluateShardActivities(deps),
    ...gateActivities(deps),
    ...monitoringActivities(deps),
  };
  return withFailureMapping(activities, () => secretsOf(deps.env));
}
