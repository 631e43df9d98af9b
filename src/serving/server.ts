/**
 * A running serving process: the app over a store and (optionally) Temporal, listening on host:port.
 * Several such processes may share one store; each follows the registry on every request.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createLM, type LMConfig } from '../core/lm/factory';
import type { LM } from '../core/lm/types';
import { createApp, DEFAULT_BODY_LIMIT } from './app';
import { Batcher } from './batcher';
import type { ServingAppStore, ServingContext } from './context';
import { FeedbackIngest } from './feedback';
import { learnerTarget, type FeedbackTarget } from './feedback-target';
import { ServingMetrics } from './metrics';
import { TaskCatalogue } from './tasks';
import { TemporalUnavailable } from './temporal-errors';

export interface ServeOptions {
  store: ServingAppStore;
  /** Temporal for feedback (signal-with-start of each task's learner) and the learner's status. */
  temporal: { client: Client; taskQueue: string } | null;
  /** Where feedback goes instead of the learner (the demo sends it to its pipeline workflow). */
  feedbackTarget?: FeedbackTarget;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  bodyLimit?: number;
  logLevel?: string | false;
  /** How long a request waits for Temporal before answering 503 (default 5 s). */
  temporalTimeoutMs?: number;
  /** Builds a task's LM from its spec (default: `createLM` without a response cache). */
  lmFor?: (config: LMConfig) => Promise<LM>;
  /** Temporal Web UI base the dashboard links runs to. */
  temporalUi?: string;
}

export interface RunningServer {
  /** `http://host:port` */
  url: string;
  app: FastifyInstance;
  /** Stops taking requests, finishes those under way, flushes the prediction log and pending feedback. */
  close(): Promise<void>;
}

/** Prediction log entries one transaction carries at most. */
const LOG_BATCH = 500;

const noTemporal: FeedbackTarget = {
  deliver: async () => {
    throw new TemporalUnavailable('serving runs without Temporal (no feedback target)');
  },
};

export async function startServing(options: ServeOptions): Promise<RunningServer> {
  const { store } = options;
  const temporalTimeoutMs = options.temporalTimeoutMs ?? 5_000;
  const target =
    options.feedbackTarget ?? (options.temporal ? learnerTarget({ client: options.temporal.client, taskQueue: options.temporal.taskQueue, timeoutMs: temporalTimeoutMs }) : noTemporal);
  const ctx: ServingContext = {
    store,
    tasks: new TaskCatalogue({ store, lmFor: options.lmFor ?? ((config) => createLM(config, { cacheDir: null })) }),
    feedback: new FeedbackIngest({ store, target }),
    metrics: new ServingMetrics(store),
    predictionLog: new Batcher((entries) => store.logPredictions(entries), { maxItems: LOG_BATCH, maxInFlight: 1 }),
    temporal: options.temporal?.client ?? null,
    temporalTimeoutMs,
  };
  const app = createApp(ctx, { token: options.token, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, logLevel: options.logLevel ?? 'info', temporalUi: options.temporalUi });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    async close() {
      await app.close();
      await Promise.all([ctx.predictionLog.drain(), ctx.feedback.drain()]);
    },
  };
}
