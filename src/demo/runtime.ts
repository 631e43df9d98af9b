/**
 * What every `kkachi demo` example runs on, set up in one place: the LM (the embedded model, installed
 * if missing), a Temporal server (started when none answers), the run's store, an in-process worker on
 * a task queue of its own, a client, and `kkachi serve` on loopback for the simulated users. `close()`
 * undoes it all in reverse order, whatever happened.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { DEFAULT_MODEL, isModelName } from '../core/lm/catalogue';
import { createLM, type LMConfig } from '../core/lm/factory';
import { disposeLocalRuntimes } from '../core/lm/local-runtime';
import { UsageMeter } from '../core/lm/usage';
import { installModel } from '../models/install';
import { modelsDir, resolveModel } from '../models/location';
import type { FeedbackTarget } from '../serving/feedback-target';
import { startServing, type RunningServer } from '../serving/server';
import { openStore, redactUrl, type Store } from '../store';
import { temporalConfig, type TemporalConfig } from '../temporal/config';
import { tracingFromEnv } from '../temporal/tracing';
import { createWorker } from '../worker';
import { ensureTemporalServer, type TemporalServer } from './temporal-server';

const ROOT = path.resolve(__dirname, '..', '..');

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  keepServer: boolean;
  say: (line: string) => void;
  /** Resolves with a signal name when the user interrupts. */
  interrupted?: Promise<string>;
}

export interface DemoRuntime {
  lm: LMConfig;
  /** KKACHI_HOME: the store, models, prepared data. */
  home: string;
  runId: string;
  /** Where the run keeps its files (store, LM cache, prepared data). */
  runDir: string;
  config: TemporalConfig;
  server: TemporalServer;
  store: Store;
  /** The run's SQLite file, or the KKACHI_STORE_URL database (without its password). */
  storePath: string;
  /** A shared store outlives the run: a suffix for the run's task names keeps runs apart there. */
  taskSuffix: string;
  client: Client;
  /** Aborts long polls (workflow results) before the connection closes. */
  polls: AbortSignal;
  /** The Web UI page of a workflow run, when the UI is known. */
  webUi(workflowId: string, runId: string): string | null;
  /** `kkachi serve` on loopback; feedback goes to each task's learner unless a target is given. */
  serve(feedbackTarget?: FeedbackTarget): Promise<{ serving: RunningServer; meter: UsageMeter }>;
  /** Why the run must stop (an interrupt, the worker gone), if it must. */
  stopReason(): Error | undefined;
  close(): Promise<void>;
}

/** Where a run happened: what every demo outcome reports about its workflow, server and store. */
export interface DemoRunInfo {
  model: string;
  task: string;
  workflowId: string;
  runId: string;
  temporal: { address: string; namespace: string; startedByDemo: boolean; kept: boolean };
  webUi: string | null;
  /** The run's SQLite file, or the KKACHI_STORE_URL database (without its password). */
  storePath: string;
}

export function runInfo(runtime: DemoRuntime, keepServer: boolean, task: string, workflowId: string, firstRunId: string): DemoRunInfo {
  const { server, config } = runtime;
  return {
    model: runtime.lm.model,
    task,
    workflowId,
    runId: firstRunId,
    temporal: { address: server.address, namespace: config.namespace, startedByDemo: server.started, kept: server.started && keepServer },
    webUi: runtime.webUi(workflowId, firstRunId),
    storePath: runtime.storePath,
  };
}

export class DemoInterrupted extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}: the workflow was cancelled and the dev server stopped`);
    this.name = 'DemoInterrupted';
  }
}

/** The embedded model (installed if missing), or with KKACHI_LM=openai any OpenAI-compatible endpoint. */
async function ensureLM(env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<LMConfig> {
  if (env.KKACHI_LM === 'openai') {
    if (!env.OPENAI_MODEL) throw new Error('KKACHI_LM=openai needs OPENAI_MODEL (and OPENAI_BASE_URL / OPENAI_API_KEY as your endpoint requires)');
    say(`lm: ${env.OPENAI_MODEL} at ${env.OPENAI_BASE_URL || 'OpenAI'}`);
    return env.OPENAI_BASE_URL ? { provider: 'openai', model: env.OPENAI_MODEL, baseURL: env.OPENAI_BASE_URL } : { provider: 'openai', model: env.OPENAI_MODEL };
  }
  const name = env.KKACHI_MODEL || DEFAULT_MODEL;
  if (!isModelName(name)) {
    resolveModel(name, env); // a GGUF path: nothing to install, but it must exist
    return { provider: 'local', model: name };
  }
  const installed = await installModel(name, { dir: modelsDir(env), onProgress: ({ stage, message }) => stage !== 'done' && say(`model: ${message}`) });
  say(`model: ${name} ${installed.alreadyInstalled ? 'present' : 'installed'} at ${installed.path} (sha256 verified)`);
  return { provider: 'local', model: name };
}

/** Quiet SDK logs (workflow/activity info lines would bury the story); warnings still show. */
function installRuntime(say: (line: string) => void): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', ({ level, message, meta }) => say(`worker ${level.toLowerCase()}: ${message}${meta?.error ? ` (${String(meta.error)})` : ''}`)),
      // Native (core) logs go through the same logger instead of straight to the console.
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
      // The demo handles Ctrl-C itself: cancel the workflow first, then stop the worker.
      shutdownSignals: [],
    });
  } catch {
    // Already installed in this process (e.g. a second run in tests): keep it.
  }
}

export async function startDemoRuntime(opts: RuntimeOptions): Promise<DemoRuntime> {
  const { env, say } = opts;
  const cleanup: (() => Promise<unknown>)[] = [];
  let stopReason: Error | undefined;
  void opts.interrupted?.then((signal) => (stopReason ??= new DemoInterrupted(signal)));
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    cleanup.length = 0;
    await disposeLocalRuntimes();
  };

  try {
    const home = path.resolve(opts.cwd, env.KKACHI_HOME || '.kkachi');
    const lm = await ensureLM(env, say);
    const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(2).toString('hex')}`;
    // A queue of its own: a worker already polling `kkachi` on a shared server (another store, another
    // model) must never pick up this run's activities.
    const config = { ...temporalConfig(env), taskQueue: `${temporalConfig(env).taskQueue}-demo-${runId}` };
    const server = await ensureTemporalServer({ address: config.address, connection: config.connection, namespace: config.namespace, home, keep: opts.keepServer, log: say, env });
    cleanup.push(() => server.stop());
    say(
      server.started
        ? `temporal: started a dev server at ${server.address} (data ${path.join(home, 'temporal.db')}, log ${server.logFile})${opts.keepServer ? `; it keeps running after the demo (stop it with: kill ${server.pid})` : '; stopped at the end (--keep-server keeps it)'}`
        : `temporal: using the server at ${server.address}`,
    );
    if (server.uiUrl) say(`temporal: Web UI ${server.uiUrl}`);

    const runDir = path.join(home, 'demo', runId);
    const storeAt = env.KKACHI_STORE_URL || path.join(runDir, 'kkachi.db');
    const store = await openStore(storeAt);
    const storePath = redactUrl(storeAt);
    cleanup.push(() => store.close());

    installRuntime(say);
    // With OTEL_EXPORTER_OTLP_ENDPOINT set, the run is one trace from the workflow's start to every activity.
    const tracing = tracingFromEnv(env, 'kkachi-demo');
    if (tracing) cleanup.push(() => tracing.shutdown());
    const plugins = tracing ? [tracing.plugin] : [];
    const workerConnection = await NativeConnection.connect(config.connection);
    cleanup.push(() => workerConnection.close());
    const worker = await createWorker({
      connection: workerConnection,
      config,
      activities: createActivities({ store, cacheDir: path.join(runDir, 'cache'), env, baseDir: ROOT }),
      // One embedded model with one sequence: concurrent LM activities would only interleave their
      // prompts, defeating its prompt-prefix cache (measured ~4x slower in stage 6).
      activityConcurrency: 1,
      plugins,
    });
    const workerRun = worker.run();
    workerRun.then(
      () => (stopReason ??= new Error('the worker stopped unexpectedly')),
      (err: unknown) => (stopReason ??= new Error(`the worker failed: ${(err as Error).message}`)),
    );
    cleanup.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun.catch(() => undefined);
    });
    say(`worker: in-process on task queue ${config.taskQueue}, store ${storePath}`);

    const connection = await Connection.connect(config.connection);
    // Long polls (a workflow's result) are aborted before the connection closes: a retrying call on a
    // closed channel would otherwise throw from a timer, outside any promise.
    const polls = new AbortController();
    cleanup.push(() => {
      polls.abort();
      return connection.close();
    });
    const client = new Client({ connection, namespace: config.namespace, dataConverter: config.dataConverter, plugins });

    return {
      lm,
      home,
      runId,
      runDir,
      config,
      server,
      store,
      storePath,
      taskSuffix: env.KKACHI_STORE_URL ? `-${runId.slice(-4)}` : '',
      client,
      polls: polls.signal,
      webUi: (workflowId, firstRunId) =>
        server.uiUrl ? `${server.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}/${firstRunId}/history` : null,
      async serve(feedbackTarget) {
        // The production path: its own store connection and LM, as a separate `kkachi serve` would have.
        const meter = new UsageMeter();
        const servingLM = await createLM(lm, { cacheDir: null, meter, modelsDir: modelsDir(env) });
        const servingStore = await openStore(storeAt, { synchronous: 'normal' });
        cleanup.push(() => servingStore.close());
        const serving = await startServing({
          store: servingStore,
          temporal: { client, taskQueue: config.taskQueue },
          feedbackTarget,
          logLevel: false,
          lmFor: async () => servingLM,
          temporalUi: server.uiUrl ?? undefined,
        });
        cleanup.push(() => serving.close());
        return { serving, meter };
      },
      stopReason: () => stopReason,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
