/**
 * Where the worker and clients find Temporal, from the environment. One place so the worker, the CLI
 * and the docs agree on names and defaults.
 */
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contract';

export interface TemporalConfig {
  /** host:port of the Temporal frontend (`TEMPORAL_ADDRESS`). */
  address: string;
  /** `TEMPORAL_NAMESPACE`. */
  namespace: string;
  /** `KKACHI_TASK_QUEUE`: the queue every Kkachi workflow and activity runs on. */
  taskQueue: string;
  /** `KKACHI_ACTIVITY_CONCURRENCY`: activities one worker runs at once (LM calls are the bottleneck). */
  activityConcurrency: number;
}

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  KKACHI_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  KKACHI_ACTIVITY_CONCURRENCY: z.coerce.number().int().positive().default(4),
});

/** Reads the config; a bad value throws an error naming the variable. */
export function temporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  // Empty strings mean "unset" so `FOO= npm run worker` falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid Temporal configuration: ${detail}`);
  }
  const e = parsed.data;
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.KKACHI_TASK_QUEUE,
    activityConcurrency: e.KKACHI_ACTIVITY_CONCURRENCY,
  };
}
