/** The CLI's side of Temporal: connect from the environment and reach a task's learner workflow. */
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { learnerWorkflowId } from '../contract';
import { temporalConfig, type TemporalConfig } from '../temporal/config';

export interface TemporalSession {
  client: Client;
  config: TemporalConfig;
  close(): Promise<void>;
}

/** Connects with the environment's settings (envconfig profile, TLS, API key, encryption); an unreachable server is one clear line. */
export async function connectTemporal(env: NodeJS.ProcessEnv, connectTimeout: Duration = '5s'): Promise<TemporalSession> {
  const config = temporalConfig(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connection, connectTimeout });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.address} (${(err as Error).message.split('\n')[0]}); start a dev server with \`npm run temporal\` or set TEMPORAL_ADDRESS`,
    );
  }
  return { client: new Client({ connection, namespace: config.namespace, dataConverter: config.dataConverter }), config, close: () => connection.close() };
}

export function learnerHandle(session: TemporalSession, task: string): WorkflowHandle {
  return session.client.workflow.getHandle(learnerWorkflowId(task));
}

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
