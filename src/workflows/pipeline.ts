/**
 * The seed's automated optimization pipeline as seven named, visible stages (DESIGN.md):
 * (1) deploy baseline and collect feedback, (2) first optimization cycle, (3) deploy the optimized
 * program, (4) collect more feedback, (5) second optimization cycle, (6) final evaluation of baseline
 * vs every version on the held-out set, (7) production deployment through `rollout` (the A/B gate).
 * Feedback arrives by the `feedback` signal, as for the learner; query `progress` shows where it is.
 */
import { ApplicationFailure, condition, log, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import {
  emptyFeedbackCounters,
  feedbackBatchSignal,
  feedbackSignal,
  INVALID_PIPELINE_INPUT,
  PIPELINE_STAGES,
  pipelineInputSchema,
  progressQuery,
  type CycleMetrics,
  type EvalSummary,
  type FinalMetrics,
  type PipelineInput,
  type PipelineProgress,
  type PipelineResult,
  type RolloutResult,
} from '../contract';
import { describeZodError } from '../core/errors';
import { parseSignature } from '../core/signature';
import type { TaskSpec } from '../core/task-spec';
import { storeActivities } from './activities';
import { emptyIntakeState, FeedbackIntake } from './feedback';
import { onActiveVersionChanged, rolloutCandidate } from './handover';
import { markProgress } from './search-attributes';
import { requireTaskSpec } from './spec';
import { buildAndOptimize, evaluateOn, promoteVersion } from './steps';

export async function optimizationPipeline(rawInput: PipelineInput): Promise<PipelineResult> {
  const parsed = pipelineInputSchema.safeParse(rawInput);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(describeZodError(parsed.error, rawInput).message, INVALID_PIPELINE_INPUT);
  const input = parsed.data;
  const spec = requireTaskSpec(input.spec);
  const task = spec.name;
  const workflowId = workflowInfo().workflowId;
  let activeVersion: string | null = null;
  let stopping = false;
  const progress: PipelineProgress = {
    stage: 0,
    stageName: PIPELINE_STAGES[0],
    cycles: [],
    final: [],
    counters: emptyFeedbackCounters(),
    pendingCorrections: 0,
  };
  const intake = new FeedbackIntake(task, parseSignature(spec.signature), emptyIntakeState(), {
    maxRecordBytes: spec.limits.feedbackBytes,
  });

  setHandler(feedbackSignal, (raw) => void intake.offer(raw));
  setHandler(feedbackBatchSignal, (raw) => void intake.offerBatch(raw));
  onActiveVersionChanged((change) => {
    activeVersion = change.versionId;
  });
  setHandler(progressQuery, () => ({
    ...progress,
    counters: { ...intake.state.counters },
    pendingCorrections: intake.state.pendingCorrections,
  }));

  const enter = (stage: number): void => {
    progress.stage = stage;
    progress.stageName = PIPELINE_STAGES[stage - 1] as PipelineProgress['stageName'];
    markProgress({ task, stage: `${stage}-${progress.stageName}`, activeVersion });
    log.info('pipeline stage', { task, stage, name: progress.stageName });
  };
  const collectFeedback = async (): Promise<void> => {
    intake.resetPending();
    const enough = await condition(() => intake.state.pendingCorrections >= input.feedbackPerStage, input.feedbackTimeout);
    // Count only what is persisted: what the next cycle's dataset will contain.
    await intake.flush();
    if (!enough) log.warn('collection stage timed out', { task, stage: progress.stage, corrections: intake.state.pendingCorrections });
  };
  const optimizeCycle = async (cycle: number, parentVersion: string): Promise<CycleMetrics> => {
    const { dataset, optimized } = await buildAndOptimize(spec, cycle, parentVersion);
    const val = await evaluateOn(spec, dataset.datasetId, optimized.versionId, 'val');
    const metrics: CycleMetrics = {
      cycle,
      datasetId: dataset.datasetId,
      train: dataset.train,
      val: dataset.val,
      corrections: dataset.corrections,
      parentVersion,
      candidateVersion: optimized.versionId,
      optimizer: optimized.optimizer,
      demos: optimized.demos,
      valAccuracy: val.accuracy,
      lmCalls: optimized.lmCalls + val.lmCalls,
      ...(dataset.valWarning && { valWarning: dataset.valWarning }),
    };
    progress.cycles.push(metrics);
    return metrics;
  };

  const feedbackLoop = intake.run(() => stopping);
  // Awaited at the end; on cancellation the stages throw first, and the loop's own CancelledFailure
  // must not surface as an unhandled rejection (that fails the workflow task instead of the workflow).
  feedbackLoop.catch(() => undefined);

  enter(1);
  const baseline = await storeActivities.ensureBaseline(spec);
  activeVersion = baseline.active;
  await collectFeedback();

  enter(2);
  const first = await optimizeCycle(1, activeVersion);

  enter(3);
  const deployed = await promoteVersion(task, {
    versionId: first.candidateVersion,
    expectedActive: activeVersion,
    actor: `pipeline:${workflowId}`,
    reason: 'pipeline stage 3: deploy the first optimized program to collect feedback on it',
  });
  if ('conflict' in deployed) log.warn('stage 3 did not deploy', { task, reason: deployed.conflict });
  else activeVersion = deployed.change.active ?? activeVersion;
  markProgress({ activeVersion });

  enter(4);
  await collectFeedback();

  enter(5);
  const second = await optimizeCycle(2, activeVersion);

  enter(6);
  const versions = uniqueVersions([
    ['baseline', baseline.versionId],
    ['cycle 1', first.candidateVersion],
    ['cycle 2', second.candidateVersion],
    ['active', activeVersion],
  ]);
  // Sequential, so every version's latency is measured without the others competing for the LM.
  const reports: EvalSummary[] = [];
  for (const [, id] of versions) reports.push(await evaluateOn(spec, second.datasetId, id, 'holdout'));
  progress.final = versions.map(([label, versionId], i) => finalMetrics(label, versionId, reports[i] as EvalSummary));

  enter(7);
  const result = await deploy(spec, workflowId, activeVersion, second.candidateVersion, (id) => reports[versions.findIndex(([, v]) => v === id)] as EvalSummary);
  stopping = true;
  await feedbackLoop;
  progress.stageName = 'done';
  markProgress({ stage: 'done', activeVersion: result?.activeVersion ?? activeVersion });
  upsertMemo({ decision: result?.decision ?? 'kept', reason: result?.reason ?? 'the second cycle reproduced the active program' });
  return { ...progress, counters: { ...intake.state.counters }, pendingCorrections: intake.state.pendingCorrections, rollout: result };
}

/** Stage 7: the second cycle's program against the one in service, through the A/B gate. */
async function deploy(
  spec: TaskSpec,
  workflowId: string,
  activeVersion: string,
  candidate: string,
  reportOf: (versionId: string) => EvalSummary,
): Promise<RolloutResult | null> {
  if (candidate === activeVersion) return null;
  return rolloutCandidate(spec, { baseline: reportOf(activeVersion), candidate: reportOf(candidate) }, workflowId);
}

function uniqueVersions(labelled: [string, string][]): [string, string][] {
  return labelled.filter(([, id], i) => labelled.findIndex(([, other]) => other === id) === i);
}

function finalMetrics(label: string, versionId: string, report: EvalSummary): FinalMetrics {
  return { versionId, label, accuracy: report.accuracy, p50Ms: report.p50Ms, lmCalls: report.lmCalls };
}
