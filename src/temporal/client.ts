/** A client's side of Temporal (CLI, serving): connect from the environment and reach a task's learner. */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { learnerWorkflowId } from '../contract';
import { temporalConfig, type TemporalConfig } from './config';

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
