/**
 * `npm run demo`, the main job: the seven-stage optimization pipeline end to end on one machine — the
 * embedded model, the UCI sentiment sentences, a Temporal dev server, an in-process worker — with
 * simulated users sending real feedback on real predictions. Everything it reports comes from the run.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createLM, type LMConfig } from '../core/lm/factory';
import { disposeLocalRuntimes } from '../core/lm/local-runtime';
import { UsageMeter } from '../core/lm/usage';
import { summarizeForTask, type TaskSummary } from '../core/report-summary';
import { parseSignature, type Signature } from '../core/signature';
import type { TaskSpecInput } from '../core/task-spec';
import { DEFAULT_MODEL, isModelName } from '../core/lm/catalogue';
import { modelsDir, resolveModel } from '../models/location';
import { installModel } from '../models/install';
import { NoActiveVersionError } from '../serving/predictor';
import { startServing } from '../serving/server';
import type { FeedbackTarget } from '../serving/feedback-target';
import { openStore, redactUrl, type Store } from '../store';
import { temporalConfig } from '../temporal/config';
import { tracingFromEnv } from '../temporal/tracing';
import { createWorker } from '../worker';
import { feedbackBatches, feedbackBatchSignal, progressQuery, type PipelineProgress, type PipelineResult } from '../contract';
import type { optimizationPipeline } from '../workflows/pipeline';
import { loadFeedbackPool, SENTIMENT_FILE } from './data';
import { demoSpec, type DemoPlan } from './plan';
import { consistencyProblems, finalActiveVersion, resultRows, totals, type DemoTotals, type ResultRow } from './results';
import { httpFeatureClient } from './feature-client';
import { FeedbackSimulator, type SimulatorCounts } from './simulator';
import { ensureTemporalServer } from './temporal-server';
import { StageReporter, type DemoEvents } from './stages';

const ROOT = path.resolve(__dirname, '..', '..');
const POLL_MS = 400;
/** The pipeline persists feedback in batches within a second; wait this long before sending more. */
const FLUSH_GRACE_MS = 3_000;
const CANCEL_GRACE_MS = 15_000;

export interface DemoOptions {
  plan: DemoPlan;
  keepServer: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  events: DemoEvents;
  /** Resolves with a signal name when the user interrupts. */
  interrupted?: Promise<string>;
  /** The task spec to adapt (default: examples/sentiment.task.json). */
  baseSpec?: TaskSpecInput;
}

export interface DemoOutcome {
  mode: DemoPlan['mode'];
  model: string;
  task: string;
  workflowId: string;
  runId: string;
  temporal: { address: string; namespace: string; startedByDemo: boolean; kept: boolean };
  webUi: string | null;
  /** The run's SQLite file, or the KKACHI_STORE_URL database (without its password). */
  storePath: string;
  data: { source: string; train: number; holdout: number; feedbackPool: number; seed: number };
  feedbackPerStage: number;
  stages: { stage: number; name: string; seconds: number }[];
  feedback: SimulatorCounts;
  pipeline: PipelineResult;
  rows: ResultRow[];
  totals: DemoTotals;
  /** The version the gate left in service, and what the registry says is active: they must agree. */
  gateChoice: string;
  storeActive: string | null;
  /** Per-label scores and the confusion matrix of the version in service on the held-out set. */
  activeSummary: TaskSummary | null;
  problems: string[];
  seconds: number;
}

export class DemoInterrupted extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}: the pipeline was cancelled and the dev server stopped`);
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
      // The demo handles Ctrl-C itself: cancel the pipeline first, then stop the worker.
      shutdownSignals: [],
    });
  } catch {
    // Already installed in this process (e.g. a second run in tests): keep it.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const started = Date.now();
  const { plan, env } = opts;
  const reporter = new StageReporter(opts.events);
  const say = (line: string) => reporter.say(line);
  const cleanup: (() => Promise<unknown>)[] = [];
  let stopReason: Error | undefined;
  void opts.interrupted?.then((signal) => (stopReason ??= new DemoInterrupted(signal)));

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

    // A shared store (KKACHI_STORE_URL) outlives the run: a task of the run's own keeps runs apart.
    const { spec, raw, splits } = demoSpec(plan, lm, opts.baseSpec, env.KKACHI_STORE_URL ? `-${runId.slice(-4)}` : '');
    const signature = parseSignature(spec.signature);
    const pool = await loadFeedbackPool(splits, signature);
    say(`data: ${SENTIMENT_FILE} (UCI Sentiment Labelled Sentences), seed ${plan.dataSeed}: ${plan.sizes.train} train, ${plan.sizes.holdout} held-out, ${pool.length} unseen sentences for the users`);

    const runDir = path.join(home, 'demo', runId);
    const storeAt = env.KKACHI_STORE_URL || path.join(runDir, 'kkachi.db');
    const store = await openStore(storeAt);
    const storePath = redactUrl(storeAt);
    cleanup.push(() => store.close());

    installRuntime(say);
    // With OTEL_EXPORTER_OTLP_ENDPOINT set, the run is one trace from the pipeline's start to every activity.
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
    // Long polls (the workflow result) are aborted before the connection closes: a retrying call on a
    // closed channel would otherwise throw from a timer, outside any promise.
    const polls = new AbortController();
    cleanup.push(() => {
      polls.abort();
      return connection.close();
    });
    const client = new Client({ connection, namespace: config.namespace, dataConverter: config.dataConverter, plugins });
    const workflowId = `kkachi-demo-${spec.name}-${runId}`;
    const handle = await client.workflow.start<typeof optimizationPipeline>('optimizationPipeline', {
      taskQueue: config.taskQueue,
      workflowId,
      args: [{ spec: raw, feedbackPerStage: plan.feedbackPerStage, feedbackTimeout: plan.feedbackTimeoutMs }],
    });
    const webUi = server.uiUrl ? `${server.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}/${handle.firstExecutionRunId}/history` : null;
    say(`pipeline: started optimizationPipeline ${workflowId}${webUi ? `\n  watch it: ${webUi}` : ''}`);

    // The production path: `kkachi serve` on loopback, its own store connection, feedback to this pipeline.
    const meter = new UsageMeter();
    const servingLM = await createLM(lm, { cacheDir: null, meter, modelsDir: modelsDir(env) });
    const servingStore = await openStore(storeAt, { synchronous: 'normal' });
    cleanup.push(() => servingStore.close());
    const toPipeline: FeedbackTarget = {
      async deliver(_task, records) {
        for (const batch of feedbackBatches(records)) await handle.signal(feedbackBatchSignal, batch);
      },
    };
    const serving = await startServing({ store: servingStore, temporal: null, feedbackTarget: toPipeline, logLevel: false, lmFor: async () => servingLM });
    cleanup.push(() => serving.close());
    say(`serving: kkachi serve at ${serving.url}; the users call POST /v1/tasks/${spec.name}/predict and /feedback`);
    const simulator = new FeedbackSimulator({
      feature: httpFeatureClient(serving.url, spec.name),
      pool,
      onSwap: (from, to) => from && say(`serving: users are now answered by version ${to.slice(0, 12)}`),
    });

    const result = connection.withAbortSignal(polls.signal, () => handle.result());
    const pipeline = await drive({ handle, result, store, simulator, plan, reporter, task: spec.name, stop: () => stopReason });
    const outcome: DemoOutcome = {
      mode: plan.mode,
      model: lm.model,
      task: spec.name,
      workflowId,
      runId: handle.firstExecutionRunId,
      temporal: { address: server.address, namespace: config.namespace, startedByDemo: server.started, kept: server.started && opts.keepServer },
      webUi,
      storePath,
      data: { source: SENTIMENT_FILE, train: plan.sizes.train, holdout: plan.sizes.holdout, feedbackPool: pool.length, seed: plan.dataSeed },
      feedbackPerStage: plan.feedbackPerStage,
      stages: reporter.timings(),
      feedback: simulator.counts,
      pipeline,
      rows: resultRows(pipeline, await servingStore.servingStats(spec.name)),
      totals: totals(pipeline, meter.snapshot().calls),
      gateChoice: finalActiveVersion(pipeline),
      storeActive: (await store.getPointers(spec.name)).active,
      activeSummary: await heldOutSummary(store, finalActiveVersion(pipeline), signature),
      problems: consistencyProblems(pipeline, simulator.counts),
      seconds: 0,
    };
    if (outcome.storeActive !== outcome.gateChoice) outcome.problems.push(`the registry's active version ${outcome.storeActive} is not the gate's choice ${outcome.gateChoice}`);
    outcome.seconds = Math.round((Date.now() - started) / 1000);
    return outcome;
  } finally {
    reporter.close();
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await disposeLocalRuntimes();
  }
}

/** The task summary of a version's last held-out report (the pipeline's final evaluation), from its stored rows. */
async function heldOutSummary(store: Store, versionId: string, signature: Signature): Promise<TaskSummary | null> {
  const reportId = (await store.getProgram(versionId))?.lineage.evalReportId;
  const stored = reportId ? await store.getReport(reportId) : null;
  return stored ? summarizeForTask(stored.report.rows, [], signature) : null;
}

interface DriveOptions {
  handle: WorkflowHandle<typeof optimizationPipeline>;
  result: Promise<PipelineResult>;
  store: Store;
  simulator: FeedbackSimulator;
  plan: DemoPlan;
  reporter: StageReporter;
  task: string;
  stop: () => Error | undefined;
}

/**
 * Watches the pipeline (query `progress`) until it finishes, playing the users whenever it listens:
 * in the feedback stages until enough corrections are in, and during stage 7's monitoring window.
 */
async function drive({ handle, result, store, simulator, plan, reporter, task, stop }: DriveOptions): Promise<PipelineResult> {
  let finished: { result: PipelineResult } | { error: unknown } | undefined;
  result.then(
    (result) => (finished = { result }),
    (error: unknown) => (finished = { error }),
  );
  const stage = { number: 0, corrections: 0, sent: 0, lastCorrectionAt: 0, exhaustedNoted: false };
  let monitoringSince: number | null = null;

  while (!finished) {
    const stopReason = stop();
    if (stopReason) {
      // Cancel (the rollout's compensation restores the previous version); terminate if that stalls.
      await handle.cancel().catch(() => undefined);
      await Promise.race([result.catch(() => undefined), sleep(CANCEL_GRACE_MS)]);
      if (!finished) await handle.terminate(`demo stopped: ${stopReason.message}`).catch(() => undefined);
      throw stopReason;
    }
    let progress: PipelineProgress;
    try {
      progress = await handle.query(progressQuery);
    } catch {
      await sleep(POLL_MS); // not started yet, or finishing
      continue;
    }
    if (progress.stage !== stage.number) Object.assign(stage, { number: progress.stage, corrections: 0, sent: 0, lastCorrectionAt: 0 });
    reporter.observe(progress, (await store.getPointers(task)).active);

    const collecting = progress.stageName !== 'done' && (progress.stage === 1 || progress.stage === 4);
    if (collecting) {
      const enough = progress.pendingCorrections >= plan.feedbackPerStage;
      const inFlight = stage.corrections >= plan.feedbackPerStage && Date.now() - stage.lastCorrectionAt < FLUSH_GRACE_MS;
      if (enough || inFlight || simulator.remaining() === 0) {
        if (simulator.remaining() === 0 && !stage.exhaustedNoted) {
          stage.exhaustedNoted = true;
          reporter.say(`users: the feedback pool is used up; the stage ends at its timeout (${plan.feedbackTimeoutMs / 1000}s)`);
        }
        await sleep(POLL_MS);
        continue;
      }
      const sent = await userTurn(simulator);
      if (sent) {
        stage.sent += 1;
        if (sent.correction) Object.assign(stage, { corrections: stage.corrections + 1, lastCorrectionAt: Date.now() });
      }
      reporter.feedbackProgress(stage.corrections, plan.feedbackPerStage, stage.sent, simulator.counts);
      continue;
    }

    const second = progress.cycles[1]?.candidateVersion;
    const monitored = progress.stage === 7 && progress.stageName !== 'done' && second !== undefined && (await store.getPointers(task)).active === second;
    if (monitored) {
      monitoringSince ??= Date.now();
      // Stop a little before the window closes so no record arrives after the pipeline stops listening.
      if (Date.now() < monitoringSince + plan.monitoringWindowMs - FLUSH_GRACE_MS && simulator.remaining() > 0) {
        const turn = Date.now();
        const sent = await userTurn(simulator);
        if (sent) stage.sent += 1;
        reporter.monitoringProgress(stage.sent, simulator.counts);
        await sleep(Math.max(0, 1000 / plan.monitoringUsersPerSecond - (Date.now() - turn)));
        continue;
      }
    }
    await reporter.activityProgress(handle, progress);
    await sleep(POLL_MS);
  }
  if ('error' in finished) throw finished.error;
  reporter.finish(finished.result, (await store.getPointers(task)).active);
  return finished.result;
}

/** One simulated user; before the baseline is deployed there is nobody to ask yet. */
async function userTurn(simulator: FeedbackSimulator) {
  try {
    return await simulator.step();
  } catch (err) {
    if (err instanceof NoActiveVersionError) {
      await sleep(POLL_MS);
      return null;
    }
    throw err;
  }
}

