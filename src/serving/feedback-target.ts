/**
 * Where accepted feedback goes: a task's learner workflow on Temporal. Delivery resolves only once
 * Temporal holds every record (the signal is in the workflow's history), so serving answers 202 for
 * nothing it could still lose; the learner dedupes by prediction id, so a retried delivery counts once.
 */
import type { Client } from '@temporalio/client';
import { feedbackSignal, learnerWorkflowId, type FeedbackPayload } from '../contract';
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

/** Signals running on one connection at once. */
const PARALLEL_SIGNALS = 16;

/**
 * Signal-with-start to `kkachi-learner-<task>`: the learner is started with the task's stored spec if
 * it is not running, so feedback never waits for an operator.
 */
export function learnerTarget({ client, taskQueue, timeoutMs }: LearnerTargetOptions): FeedbackTarget {
  return {
    async deliver(task, records) {
      const workflowId = learnerWorkflowId(task.name);
      const send = (record: FeedbackPayload) =>
        client.workflow.signalWithStart('learner', { workflowId, taskQueue, args: [task.rawSpec], signal: feedbackSignal, signalArgs: [record] });
      try {
        await client.connection.withDeadline(Date.now() + timeoutMs, async () => {
          for (let i = 0; i < records.length; i += PARALLEL_SIGNALS) await Promise.all(records.slice(i, i + PARALLEL_SIGNALS).map(send));
        });
      } catch (err) {
        if (isTemporalUnavailable(err)) throw new TemporalUnavailable(`Temporal is unreachable: ${(err as Error).message.split('\n')[0]}`, { cause: err });
        throw err;
      }
    },
  };
}
