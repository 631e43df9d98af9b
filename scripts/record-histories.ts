/**
 * Regenerates test/replay/*.json: runs each workflow through a representative path on a fresh dev
 * server (real activities, LM double) and saves the event histories the replay test runs against the
 * current code. Run it with `scripts/record-histories.sh` after an intended workflow change, or
 * `scripts/record-histories.sh canary` to record only the named recorders (and keep older histories
 * that in-flight executions of earlier code must still replay against).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { cycleWorkflowId, feedbackSignal, type LearnerStatus, learnerWorkflowId, optimizeNowUpdate, progressQuery, rollbackUpdate, rolloutWorkflowId } from '../src/contract';
import { submitFeedbackBatch } from '../src/temporal/feedback';
import { learner } from '../src/workflows/learner';
import { optimizationPipeline } from '../src/workflows/pipeline';
import { feedbackFor, keywordTask, setUpHarness, waitForStatus, type Harness } from '../test/workflows/harness';

const OUT = resolve(__dirname, '../test/replay');

const cycleDone = (s: LearnerStatus): boolean => s.cycles.length > 0 && s.cycles.every((c) => c.decision !== 'running');

async function save(h: Harness, name: string, workflowId: string, runId?: string): Promise<void> {
  const history = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  // The workflow id is not in the history, yet replay needs it (child workflow ids derive from it).
  const file = { workflowId, history: JSON.parse(historyToJSON(history)) as unknown };
  writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify(file)}\n`);
  console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
}

async function startLearner(h: Harness, task: string, overrides: Parameters<typeof keywordTask>[2]): Promise<WorkflowHandleWithFirstExecutionRunId<typeof learner>> {
  const spec = keywordTask(task, h.double.baseURL, overrides);
  return h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
}

/** Threshold → cycle → promote → window passes; then enough traffic to continue as new. */
async function promoted(h: Harness): Promise<void> {
  const handle = await startLearner(h, 'replay-promote', { triggers: { corrections: 3 } });
  for (let i = 0; i < 3; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_000 }));
  await handle.signal('feedback', { predictionId: 'malformed' });
  await waitForStatus(handle, cycleDone, 60_000);
  for (let i = 3; i < 80; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_000, confirm: true }));
  await waitForStatus(handle, (s) => s.generation >= 1, 60_000);
  const id = learnerWorkflowId('replay-promote');
  await save(h, 'learner-continued-as-new', id, handle.firstExecutionRunId);
  await save(h, 'optimizationCycle-promoted', cycleWorkflowId(id, 1));
  await save(h, 'rollout-promoted', rolloutWorkflowId(cycleWorkflowId(id, 1)));
  await handle.terminate('recorded');
}

/** A candidate whose live accuracy collapses in the monitoring window is rolled back. */
async function rolledBack(h: Harness): Promise<void> {
  const handle = await startLearner(h, 'replay-rollback', {
    triggers: { corrections: 1_000 },
    monitoring: { window: '20s', minSamples: 5, tolerance: 0.1 },
  });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion;
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'record' }] });
  await waitForStatus(handle, (s) => s.running && s.activeVersion !== baseline, 60_000);
  for (let i = 0; i < 6; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_001 }));
  await waitForStatus(handle, cycleDone, 60_000);
  await save(h, 'rollout-rolled-back', rolloutWorkflowId(cycleWorkflowId(learnerWorkflowId('replay-rollback'), 1)));
  await handle.terminate('recorded');
}

async function pipeline(h: Harness): Promise<void> {
  const spec = keywordTask('replay-pipeline', h.double.baseURL);
  const handle = await h.env.client.workflow.start(optimizationPipeline, {
    taskQueue: h.taskQueue,
    workflowId: 'kkachi-pipeline-replay',
    args: [{ spec, feedbackPerStage: 2, feedbackTimeout: '1m' }],
  });
  for (let i = 0; i < 2; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_002 }));
  while ((await handle.query(progressQuery)).stage < 4) await new Promise((r) => setTimeout(r, 200));
  for (let i = 2; i < 4; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_002 }));
  await handle.result();
  await save(h, 'optimizationPipeline', 'kkachi-pipeline-replay');
}

async function invalidSpec(h: Harness): Promise<void> {
  const handle = await startLearner(h, 'replay-invalid', { lm: { provider: 'openai', model: '' } });
  await handle.result().catch(() => undefined);
  await save(h, 'learner-invalid-spec', learnerWorkflowId('replay-invalid'));
}

/** A learner with a 30% canary in its spec, asked for a cycle: returns once the canary serves. */
async function canaryServing(h: Harness, task: string, window: string) {
  const handle = await startLearner(h, task, {
    triggers: { corrections: 1_000 },
    gate: { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 },
    canary: { share: 0.3, window, minSamples: 5 },
  });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion as string;
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'record' }] });
  for (;;) {
    const { canary } = await h.store.routing(task);
    if (canary) return { handle, baseline, candidate: canary.versionId };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A live canary: the candidate serves 30% of traffic, does better on its arm, and is promoted. */
async function canary(h: Harness): Promise<void> {
  const task = 'replay-canary';
  const { handle, baseline, candidate } = await canaryServing(h, task, '8s');
  await new Promise((r) => setTimeout(r, 1_000));
  for (let i = 0; i < 10; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_003, versionId: baseline, confirm: i % 2 === 0 }));
  for (let i = 0; i < 6; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 1_004, versionId: candidate, confirm: true }));
  await waitForStatus(handle, cycleDone, 60_000);
  await save(h, 'rollout-canary', rolloutWorkflowId(cycleWorkflowId(learnerWorkflowId(task), 1)));
  await handle.terminate('recorded');
}

/** An operator's rollback during a live canary: the learner ends the canary and the cycle reads rolled-back. */
async function canaryRollback(h: Harness): Promise<void> {
  const task = 'replay-canary-rollback';
  const { handle } = await canaryServing(h, task, '1m');
  await handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'record' }] });
  await waitForStatus(handle, cycleDone, 60_000);
  await save(h, 'learner-canary-rollback', learnerWorkflowId(task));
  await handle.terminate('recorded');
}

/** An operator's rollback after a promotion: the previous version is restored and the cycle reads rolled-back. */
async function operatorRollback(h: Harness): Promise<void> {
  const task = 'replay-operator-rollback';
  const handle = await startLearner(h, task, { triggers: { corrections: 1_000 }, monitoring: { window: '1s', minSamples: 5, tolerance: 0.1 } });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'record' }] });
  await waitForStatus(handle, cycleDone, 60_000);
  await handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'record' }] });
  await save(h, 'learner-operator-rollback', learnerWorkflowId(task));
  await handle.terminate('recorded');
}

/** A cycle whose held-out split is evaluated in shards (parallel activities) and merged. */
async function sharded(h: Harness): Promise<void> {
  const task = 'replay-sharded';
  const handle = await startLearner(h, task, { triggers: { corrections: 1_000 }, evaluation: { shardSize: 15 } });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'record' }] });
  await waitForStatus(handle, cycleDone, 60_000);
  await save(h, 'optimizationCycle-sharded', cycleWorkflowId(learnerWorkflowId(task), 1));
  await handle.terminate('recorded');
}

/** Batches by update from senders that never pause: records taken, one malformed, refusals while the run closes, continue-as-new. */
async function batchUpdates(h: Harness): Promise<void> {
  const task = 'replay-batch-updates';
  const handle = await startLearner(h, task, { triggers: { corrections: 1_000 }, limits: { signalsPerRun: 10 } });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  let next = 0;
  const batch = () => ({ records: Array.from({ length: 20 }, () => ({ ...feedbackFor(next % 1_000, { seed: 1_005 }), predictionId: `batch-${next++}` })) });
  await submitFeedbackBatch(handle, { records: [...batch().records, { predictionId: 'malformed' } as never] }, { maxBytes: 1_000_000 }).catch(() => undefined);
  const sender = async () => {
    for (let i = 0; i < 5; i++) await submitFeedbackBatch(handle, batch(), { maxBytes: 1_000_000, retryDelayMs: 100 });
  };
  await Promise.all([sender(), sender(), sender()]);
  await waitForStatus(handle, (s) => s.generation >= 1, 60_000);
  await save(h, 'learner-batch-updates', learnerWorkflowId(task), handle.firstExecutionRunId);
  await handle.terminate('recorded');
}

/** A learner cancelled with acknowledged feedback still buffered stores it before it closes. */
async function cancelled(h: Harness): Promise<void> {
  const task = 'replay-cancelled';
  const handle = await startLearner(h, task, { triggers: { corrections: 1_000 } });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await submitFeedbackBatch(handle, { records: Array.from({ length: 12 }, (_, i) => feedbackFor(i, { seed: 1_006 })) }, { maxBytes: 1_000_000 });
  await handle.cancel();
  await handle.result().catch(() => undefined);
  await save(h, 'learner-cancelled', learnerWorkflowId(task), handle.firstExecutionRunId);
}

const RECORDERS: Record<string, (h: Harness) => Promise<void>> = { promoted, rolledBack, pipeline, invalidSpec, canary, canaryRollback, sharded, operatorRollback, batchUpdates, cancelled };

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in RECORDERS));
  if (unknown.length > 0) throw new Error(`unknown recorder ${unknown.join(', ')}; known: ${Object.keys(RECORDERS).join(', ')}`);
  const h = await setUpHarness({ suggestContinueAsNew: 100 });
  try {
    const worker = await h.worker();
    await worker.runUntil(async () => {
      for (const name of names.length > 0 ? names : Object.keys(RECORDERS)) await (RECORDERS[name] as (h: Harness) => Promise<void>)(h);
    });
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
