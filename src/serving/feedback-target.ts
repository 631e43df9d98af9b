/**
 * Where accepted feedback goes: a task's learner workflow on Temporal. Delivery resolves only once
 * the learner has taken every record (its update is in the workflow's history), so serving answers
 * 202 for nothing it could still lose; the learner dedupes by prediction id, so a retried delivery
 * counts once.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { feedbackBatches, learnerWorkflowId, submitFeedbackBatchUpdate, type FeedbackPayload } from '../contract';
import { isTransientUpdateFailure, untilTaken } from '../temporal/feedback';
import type { ServedTask } from './tasks';
import { isTemporalUnavailable, LearnerBusy, TemporalUnavailable } from './temporal-errors';

/** Wait between sends of a batch the learner refused as busy. */
const BUSY_RETRY_MS = 200;

export interface FeedbackTarget {
  /** Resolves once Temporal durably holds every record; TemporalUnavailable when it cannot be reached. */
  deliver(task: ServedTask, records: readonly FeedbackPayload[]): Promise<void>;
}

export interface LearnerTargetOptions {
  client: Client;
  taskQueue: string;
  /** How long one delivery may wait for Temporal before it fails as unavailable. */
  timeoutMs: number;
}

/**
 * Update-with-start of `submitFeedbackBatch` to `kkachi-learner-<task>` (one update per up to 1,000
 * records within the payload bound): the learner is started with the task's stored spec if it is not
 * running, so feedback never waits for an operator. An update, not a signal, because the learner can
 * refuse it: while its run is closing it answers `LearnerBusy`, the batch is sent again shortly (and
 * after the deadline the request is answered 503), so no rate of requests keeps the run from
 * continuing as new.
 */
export function learnerTarget({ client, taskQueue, timeoutMs }: LearnerTargetOptions): FeedbackTarget {
  return {
    async deliver(task, records) {
      const workflowId = learnerWorkflowId(task.name);
      const deadline = Date.now() + timeoutMs;
      const start = () => new WithStartWorkflowOperation('learner', { workflowId, taskQueue, args: [task.rawSpec], workflowIdConflictPolicy: 'USE_EXISTING' });
      try {
        await client.connection.withDeadline(deadline, async () => {
          for (const batch of feedbackBatches(records)) {
            await untilTaken((updateId) => client.workflow.executeUpdateWithStart(submitFeedbackBatchUpdate, { args: [batch], updateId, startWorkflowOperation: start() }), {
              retryForMs: deadline - Date.now(),
              retryDelayMs: BUSY_RETRY_MS,
            });
          }
        });
      } catch (err) {
        if (isTemporalUnavailable(err)) throw new TemporalUnavailable(`Temporal is unreachable: ${(err as Error).message.split('\n')[0]}`, { cause: err });
        if (isTransientUpdateFailure(err)) throw new LearnerBusy(`the learner of task "${task.name}" is busy (${(err as Error).message.split('\n')[0]})`, { cause: err });
        throw err;
      }
    },
  };
}
