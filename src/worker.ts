/**
 * The Kkachi worker: registers the workflows and the activities on one task queue. `createWorker` is
 * the wiring tests and demos reuse; run directly (`npm run worker`, `node dist/worker.js`) it opens the
 * store, connects from the environment, and shuts down gracefully on SIGINT/SIGTERM (the SDK's
 * runtime drains in-flight tasks, then `run()` resolves and the store is closed).
 */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from './activities';
import type { KkachiActivities } from './contract';
import { openStore, redactUrl, storeLocation } from './store';
import { temporalConfig, type TemporalConfig } from './temporal/config';
import { ensureServerReady, PreflightError } from './temporal/preflight';
import { telemetryFromEnv } from './temporal/telemetry';
import { tracingFromEnv } from './temporal/tracing';

export interface CreateWorkerOptions {
  connection?: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activities: KkachiActivities;
  /** A prebuilt bundle (tests bundle once per file); default: the config's bundle file, else bundle ./workflows at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Activities run at once; LM-bound work is the bottleneck, so keep it small. */
  activityConcurrency?: number;
  config?: TemporalConfig;
  /** Default: the config's (payload encryption from KKACHI_ENCRYPTION_KEY). */
  dataConverter?: DataConverter;
  /** E.g. tracing (`./temporal/tracing.ts`); a prebuilt bundle must already hold their workflow modules. */
  plugins?: WorkerPlugin[];
}

/**
 * Checks the server first (namespace, search attributes: see ./temporal/preflight.ts), so a worker
 * that could only fail its workflow tasks never starts polling.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const config = options.config ?? temporalConfig();
  const connection = options.connection ?? (await NativeConnection.connect(config.connection));
  const namespace = options.namespace ?? config.namespace;
  const registered = await ensureServerReady(connection, namespace);
  if (registered.length > 0) console.log(`kkachi worker: registered search attributes ${registered.join(', ')} in namespace ${namespace}`);
  const bundle = options.workflowBundle ?? (config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined);
  return Worker.create({
    connection,
    namespace,
    taskQueue: options.taskQueue ?? config.taskQueue,
    activities: options.activities,
    dataConverter: options.dataConverter ?? config.dataConverter,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: require.resolve('./workflows') }),
    maxConcurrentActivityTaskExecutions: options.activityConcurrency ?? config.activityConcurrency,
    plugins: options.plugins ?? [],
  });
}

async function main(): Promise<void> {
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'], telemetryOptions: telemetryFromEnv() });
  const config = temporalConfig();
  const location = storeLocation();
  const store = await openStore(location);
  const connection = await NativeConnection.connect(config.connection);
  const tracing = tracingFromEnv(process.env, 'kkachi-worker');
  try {
    const worker = await createWorker({ connection, config, activities: createActivities({ store }), plugins: tracing ? [tracing.plugin] : [] });
    console.log(`kkachi worker: ${config.address} namespace=${config.namespace} queue=${config.taskQueue} activities≤${config.activityConcurrency} store=${redactUrl(location)}`);
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof PreflightError ? `kkachi worker: ${err.message}` : err);
    process.exit(1);
  });
}
