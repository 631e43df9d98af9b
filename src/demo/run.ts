/**
 * `npm run demo`, the main job: the seven-stage optimization pipeline end to end on one machine — the
 * embedded model, the UCI sentiment sentences, a Temporal dev server, an in-process worker — with
 * simulated users sending real feedback on real predictions. Everything it reports comes from the run.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TaskSummary } from '../core/report-summary';
import { parseSignature, type Signature } from '../core/signature';
import type { TaskSpecInput } from '../core/task-spec';
import { NoActiveVersionError } from '../serving/predictor';
import type { FeedbackTarget } from '../serving/feedback-target';
import type { Store } from '../store';
import { feedbackBatches, feedbackBatchSignal, progressQuery, type PipelineProgress, type PipelineResult } from '../contract';
import type { optimizationPipeline } from '../workflows/pipeline';
import { loadFeedbackPool, SENTIMENT_FILE } from './data';
import { demoSpec, type DemoPlan } from './plan';
import { reportSummary } from './learner-results';
import { consistencyProblems, finalActiveVersion, resultRows, totals, type DemoTotals, type ResultRow } from './results';
import { httpFeatureClient } from './feature-client';
import { runInfo, sleep, startDemoRuntime, type DemoRunInfo } from './runtime';
import { FeedbackSimulator, type SimulatorCounts } from './simulator';
import { StageReporter, type DemoEvents } from './stages';

export { DemoInterrupted } from './runtime';

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

export interface DemoOutcome extends DemoRunInfo {
  mode: DemoPlan['mode'];
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

export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const started = Date.now();
  const { plan } = opts;
  const reporter = new StageReporter(opts.events);
  const say = (line: string) => reporter.say(line);
  const runtime = await startDemoRuntime({ env: opts.env, cwd: opts.cwd, keepServer: opts.keepServer, say, interrupted: opts.interrupted }).catch((err: unknown) => {
    reporter.close();
    throw err;
  });
  const { store, config, client } = runtime;

  try {
    const { spec, raw, splits } = demoSpec(plan, runtime.lm, opts.baseSpec, runtime.taskSuffix);
    const signature = parseSignature(spec.signature);
    const pool = await loadFeedbackPool(splits, signature);
    say(`data: ${SENTIMENT_FILE} (UCI Sentiment Labelled Sentences), seed ${plan.dataSeed}: ${plan.sizes.train} train, ${plan.sizes.holdout} held-out, ${pool.length} unseen sentences for the users`);

    const workflowId = `kkachi-demo-${spec.name}-${runtime.runId}`;
    const handle = await client.workflow.start<typeof optimizationPipeline>('optimizationPipeline', {
      taskQueue: config.taskQueue,
      workflowId,
      args: [{ spec: raw, feedbackPerStage: plan.feedbackPerStage, feedbackTimeout: plan.feedbackTimeoutMs }],
    });
    const webUi = runtime.webUi(workflowId, handle.firstExecutionRunId);
    say(`pipeline: started optimizationPipeline ${workflowId}${webUi ? `\n  watch it: ${webUi}` : ''}`);

    const toPipeline: FeedbackTarget = {
      async deliver(_task, records) {
        for (const batch of feedbackBatches(records)) await handle.signal(feedbackBatchSignal, batch);
      },
    };
    const { serving, meter } = await runtime.serve(toPipeline);
    say(`serving: kkachi serve at ${serving.url}; the users call POST /v1/tasks/${spec.name}/predict and /feedback`);
    const simulator = new FeedbackSimulator({
      feature: httpFeatureClient(serving.url, spec.name),
      pool,
      onSwap: (from, to) => from && say(`serving: users are now answered by version ${to.slice(0, 12)}`),
    });

    const result = client.connection.withAbortSignal(runtime.polls, () => handle.result());
    const pipeline = await drive({ handle, result, store, simulator, plan, reporter, task: spec.name, stop: runtime.stopReason });
    const outcome: DemoOutcome = {
      mode: plan.mode,
      ...runInfo(runtime, opts.keepServer, spec.name, workflowId, handle.firstExecutionRunId),
      data: { source: SENTIMENT_FILE, train: plan.sizes.train, holdout: plan.sizes.holdout, feedbackPool: pool.length, seed: plan.dataSeed },
      feedbackPerStage: plan.feedbackPerStage,
      stages: reporter.timings(),
      feedback: simulator.counts,
      pipeline,
      rows: resultRows(pipeline, await store.servingStats(spec.name)),
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
    await runtime.close();
  }
}

/** The task summary of a version's last held-out report (the pipeline's final evaluation), from its stored rows. */
async function heldOutSummary(store: Store, versionId: string, signature: Signature): Promise<TaskSummary | null> {
  const reportId = (await store.getProgram(versionId))?.lineage.evalReportId;
  const stored = reportId ? await store.getReport(reportId) : null;
  return stored ? reportSummary(stored.report.rows, signature) : null;
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

