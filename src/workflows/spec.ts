/** Task-spec validation inside workflows: a bad spec fails the workflow at once, never retries. */
import { ApplicationFailure } from '@temporalio/workflow';
import { INVALID_TASK_SPEC } from '../contract';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';

/** Parses the spec or throws a non-retryable failure whose message names the offending field. */
export function requireTaskSpec(input: unknown): TaskSpec {
  try {
    return parseTaskSpec(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, INVALID_TASK_SPEC);
  }
}
