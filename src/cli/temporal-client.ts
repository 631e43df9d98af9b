/** The CLI's side of Temporal: run a command against a task's learner, and read failed updates. */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { learnerWorkflowId } from '../contract';
import { connectTemporal, learnerHandle, type TemporalSession } from '../temporal/client';

/** Runs `fn` with a session, closing it afterwards; a missing learner names the command that starts it. */
export async function withLearner<T>(env: NodeJS.ProcessEnv, task: string, fn: (handle: WorkflowHandle, session: TemporalSession) => Promise<T>): Promise<T> {
  const session = await connectTemporal(env);
  try {
    return await fn(learnerHandle(session, task), session);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new Error(`no learner is running for task "${task}" (workflow ${learnerWorkflowId(task)}); start it with: kkachi task start --spec FILE`);
    }
    throw err;
  } finally {
    await session.close();
  }
}

/**
 * The message a failed update carries: a validation error rejected by the workflow's validator or
 * thrown by its handler arrives as the cause of a WorkflowUpdateFailedError.
 */
export function updateFailureMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message;
}
