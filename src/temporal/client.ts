/** A client's side of Temporal (CLI, serving): connect from the environment and reach a task's learner. */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { learnerWorkflowId } from '../contract';
import { temporalConfig, type TemporalConfig } from './config';
import { tracingFromEnv } from './tracing';

export interface TemporalSession {
  client: Client;
  config: TemporalConfig;
  close(): Promise<void>;
}

/**
 * Connects with the environment's settings (envconfig profile, TLS, API key, encryption, OTLP tracing);
 * an unreachable server is one clear line. `close()` also flushes the session's spans.
 */
export async function connectTemporal(env: NodeJS.ProcessEnv, connectTimeout: Duration = '5s', serviceName = 'kkachi-cli'): Promise<TemporalSession> {
  const config = temporalConfig(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connection, connectTimeout });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.address} (${(err as Error).message.split('\n')[0]}); start a dev server with \`npm run temporal\` or set TEMPORAL_ADDRESS`,
    );
  }
  const tracing = tracingFromEnv(env, serviceName);
  return {
    client: new Client({ connection, namespace: config.namespace, dataConverter: config.dataConverter, plugins: tracing ? [tracing.plugin] : [] }),
    config,
    async close() {
      await connection.close();
      await tracing?.shutdown();
    },
  };
}

export function learnerHandle(session: TemporalSession, task: string): WorkflowHandle {
  return session.client.workflow.getHandle(learnerWorkflowId(task));
}
