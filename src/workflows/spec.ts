/** Task-spec validation inside workflows: a bad spec fails the workflow at once, never retries. */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { INVALID_TASK_SPEC } from '../contract';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
import { checkActivities } from './activities';

/** Histories recorded before the data/model check have no such activity; they replay without it. */
export const SPEC_CHECK_PATCH = 'task-spec-check';

/** Parses the spec or throws a non-retryable failure whose message names the offending field. */
export function requireTaskSpec(input: unknown): TaskSpec {
  try {
    return parseTaskSpec(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, INVALID_TASK_SPEC);
  }
}

/**
 * Checks what the schema cannot (data files, mapped columns, disjoint non-empty train/holdout, model or
 * endpoint) through the checkTaskSpec activity; a problem fails the workflow at once, naming it.
 */
export async function requireUsableSpec(spec: TaskSpec): Promise<void> {
  if (!patched(SPEC_CHECK_PATCH)) return;
  try {
    await checkActivities.checkTaskSpec(spec);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause;
    throw ApplicationFailure.nonRetryable(cause?.message ?? (err as Error).message, INVALID_TASK_SPEC);
  }
}
