/**
 * Where the worker and clients find Temporal, from the environment. One place so the worker, the CLI
 * and the demo agree on names and defaults. Connection settings come from `@temporalio/envconfig`: a
 * profile in the Temporal config file (`TEMPORAL_CONFIG_FILE`, `TEMPORAL_PROFILE`) overridden by
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, … — the same
 * settings the `temporal` CLI reads, so TLS client certificates and Temporal Cloud API keys just work.
 */
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contract';
import { encryptingDataConverter, encryptionKeysFromEnv } from './encryption';

export interface TemporalConfig {
  /** host:port of the Temporal frontend (profile or `TEMPORAL_ADDRESS`; default 127.0.0.1:7233). */
  address: string;
  /** Profile or `TEMPORAL_NAMESPACE`; default `default`. */
  namespace: string;
  /** `KKACHI_TASK_QUEUE`: the queue every Kkachi workflow and activity runs on. */
  taskQueue: string;
  /** `KKACHI_ACTIVITY_CONCURRENCY`: activities one worker runs at once (LM calls are the bottleneck). */
  activityConcurrency: number;
  /**
   * `KKACHI_WORKFLOW_BUNDLE`: a workflow bundle built ahead with `bundleWorkflowCode`, so the worker
   * starts without webpacking src/workflows (seconds of CPU); it must hold any workflow interceptors
   * the worker uses (tracing's). Unset: the worker bundles at start.
   */
  workflowBundlePath?: string;
  /** Everything a connection needs: address, TLS, API key, gRPC metadata. */
  connection: NativeConnectionOptions & { address: string };
  /** Payload (and failure message) encryption when `KKACHI_ENCRYPTION_KEY` is set; the same for the worker and every client. */
  dataConverter: DataConverter;
}

const DEFAULT_ADDRESS = '127.0.0.1:7233';

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').optional(),
  KKACHI_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  KKACHI_ACTIVITY_CONCURRENCY: z.coerce.number().int().positive().default(4),
  KKACHI_WORKFLOW_BUNDLE: z.string().min(1).optional(),
});

/** Reads the config; a bad value throws an error naming the variable (or the profile). */
export function temporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  // Empty strings mean "unset" so `FOO= npm run worker` falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid Temporal configuration: ${detail}`);
  }
  let profile: ReturnType<typeof loadClientConnectConfig>;
  try {
    profile = loadClientConnectConfig({ profile: present.TEMPORAL_PROFILE, overrideEnvVars: present });
  } catch (err) {
    throw new Error(`Invalid Temporal configuration (profile ${present.TEMPORAL_PROFILE ?? 'default'}): ${(err as Error).message}`);
  }
  const address = profile.connectionOptions.address || DEFAULT_ADDRESS;
  let keys;
  try {
    keys = encryptionKeysFromEnv(present);
  } catch (err) {
    throw new Error(`Invalid encryption configuration: ${(err as Error).message}`);
  }
  return {
    address,
    namespace: profile.namespace || 'default',
    taskQueue: parsed.data.KKACHI_TASK_QUEUE,
    activityConcurrency: parsed.data.KKACHI_ACTIVITY_CONCURRENCY,
    ...(parsed.data.KKACHI_WORKFLOW_BUNDLE ? { workflowBundlePath: parsed.data.KKACHI_WORKFLOW_BUNDLE } : {}),
    connection: { ...profile.connectionOptions, address },
    dataConverter: encryptingDataConverter(keys),
  };
}
