/** Task-spec validation inside workflows: a bad spec fails the workflow at once, never retries. */
import { ApplicationFailure } from '@temporalio/workflow';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';

export const INVALID_TASK_SPEC = 'InvalidTaskSpec';

/** Parses the spec or throws a non-retryable failure whose message names the offending field. */
export function requireTaskSpec(input: unknown): TaskSpec {
  try {
    return parseTaskSpec(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, INVALID_TASK_SPEC);
  }
}
