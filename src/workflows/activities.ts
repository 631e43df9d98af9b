/**
 * The workflows' view of the activities, with timeouts and retry policies chosen per kind of work.
 * `import type` only: activity code (store, LM clients) never enters the workflow bundle.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { KkachiActivities } from '../contract';

/** Quick store operations. Feedback must never be dropped, so these retry until they succeed. */
export const storeActivities = proxyActivities<KkachiActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * LM-bound work (optimize, evaluate) heartbeats; a silent worker (crash, SIGKILL) is detected by the
 * heartbeat timeout and the retry resumes from the last heartbeat's details. Bounded attempts so a
 * broken model endpoint fails the cycle instead of blocking the learner forever.
 */
export const lmActivities = proxyActivities<KkachiActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Building a dataset reads files and the store; no LM calls. */
export const datasetActivities = proxyActivities<KkachiActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** The task-spec check reads files and asks the model endpoint; what it finds wrong is not retried. */
export const checkActivities = proxyActivities<KkachiActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});
