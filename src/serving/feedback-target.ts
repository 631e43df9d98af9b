/**
 * Where accepted feedback goes: a task's learner workflow on Temporal. Delivery resolves only once
 * Temporal holds every record (the signal is in the workflow's history), so serving answers 202 for
 * nothing it could still lose; the learner dedupes by prediction id, so a retried delivery counts once.
 */
import type { Client } from '@temporalio/client';
import { feedbackBatches, feedbackBatchSignal, learnerWorkflowId, type FeedbackPayload } from '../contract';
import type { ServedTask } from './tasks';
import { isTemporalUnavailable, TemporalUnavailable } from './temporal-errors';

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
 * Signal-with-start of `feedbackBatch` to `kkachi-learner-<task>` (one signal per up to 1,000 records
 * within the payload bound): the learner is started with the task's stored spec if it is not
 * running, so feedback never waits for an operator.
 */
export function learnerTarget({ client, taskQueue, timeoutMs }: LearnerTargetOptions): FeedbackTarget {
  return {
    async deliver(task, records) {
      const workflowId = learnerWorkflowId(task.name);
      try {
        await client.connection.withDeadline(Date.now() + timeoutMs, async () => {
          for (const batch of feedbackBatches(records)) {
            await client.workflow.signalWithStart('learner', { workflowId, taskQueue, args: [task.rawSpec], signal: feedbackBatchSignal, signalArgs: [batch] });
          }
        });
      } catch (err) {
        if (isTemporalUnavailable(err)) throw new TemporalUnavailable(`Temporal is unreachable: ${(err as Error).message.split('\n')[0]}`, { cause: err });
        throw err;
      }
    },
  };
}
