/**
 * The seven-stage optimization pipeline on a real Temporal dev server: it waits for corrections in
 * stages 1 and 4, runs two optimization cycles, deploys the first result, evaluates every version on
 * the held-out set and ends with the A/B-gated rollout; `progress` reports each stage and metric.
 */
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { feedbackSignal, progressQuery, type PipelineProgress } from '../../src/contract';
import { optimizationPipeline } from '../../src/workflows/pipeline';
import { feedbackFor, keywordTask, setUpRunningHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

/** A pipeline for a keyword-world task that waits for 3 corrections per collection stage. */
function startPipeline(task: string): Promise<WorkflowHandle<typeof optimizationPipeline>> {
  return h.env.client.workflow.start(optimizationPipeline, {
    taskQueue: h.taskQueue,
    workflowId: `kkachi-${task}-test`,
    args: [{ spec: keywordTask(task, h.double.baseURL), feedbackPerStage: 3, feedbackTimeout: '2m' }],
  });
}

async function waitForProgress(handle: WorkflowHandle, done: (p: PipelineProgress) => boolean): Promise<PipelineProgress> {
  const deadline = Date.now() + 60_000;
  let last: PipelineProgress | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(progressQuery);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`progress condition not met; last: ${JSON.stringify(last)}`);
}

it('runs the seven stages, waiting for feedback in stages 1 and 4, and ends through the A/B gate', async () => {
  const handle = await startPipeline('pipeline');

  // Stage 1 waits for corrections; a confirmation does not count.
  const collecting = await waitForProgress(handle, (p) => p.stage === 1);
  expect(collecting.stageName).toBe('deploy-baseline-and-collect-feedback');
  await handle.signal(feedbackSignal, feedbackFor(0, { seed: 800, confirm: true }));
  for (let i = 1; i <= 2; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 800 }));
  await waitForProgress(handle, (p) => p.counters.received === 3);
  expect((await handle.query(progressQuery)).stage).toBe(1);
  await handle.signal(feedbackSignal, feedbackFor(3, { seed: 800 }));

  // Stage 4 waits again, after the first cycle's program is deployed.
  const second = await waitForProgress(handle, (p) => p.stage === 4);
  expect(second.cycles).toHaveLength(1);
  expect((await h.store.getPointers('pipeline')).active).toBe(second.cycles[0]?.candidateVersion);
  for (let i = 4; i < 7; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 800 }));

  const result = await handle.result();
  expect(result.stageName).toBe('done');
  expect(result.counters).toEqual({ received: 7, corrections: 6, duplicates: 0, rejected: 0 });
  expect(result.cycles.map((c) => c.cycle)).toEqual([1, 2]);
  const [first, last] = result.cycles;
  expect(first?.corrections).toBe(3);
  expect(last?.corrections).toBe(6);
  expect(last?.parentVersion).toBe(first?.candidateVersion);
  expect(first?.valAccuracy).toBeGreaterThan(0.7);

  // Stage 6: the baseline and every version on the same held-out set; optimized programs beat the baseline.
  const byLabel = Object.fromEntries(result.final.map((f) => [f.label, f]));
  expect(Object.keys(byLabel)).toEqual(expect.arrayContaining(['baseline', 'cycle 1']));
  expect(byLabel['cycle 1']?.accuracy).toBeGreaterThan((byLabel.baseline?.accuracy ?? 1) + 0.2);

  // Stage 7: the second cycle's program against the deployed one, through the gate (a rollout child);
  // the registry ends where the gate's decision says.
  expect(last?.candidateVersion).not.toBe(first?.candidateVersion);
  expect(result.rollout?.gate).toMatchObject({
    baseline: { versionId: first?.candidateVersion },
    candidate: { versionId: last?.candidateVersion },
  });
  const expectedActive = result.rollout?.decision === 'promoted' ? last?.candidateVersion : first?.candidateVersion;
  expect((await h.store.getPointers('pipeline')).active).toBe(expectedActive);
}, 120_000);

it('ends as cancelled when cancelled while collecting feedback, without failing a workflow task', async () => {
  const handle = await startPipeline('pipeline-cancel');
  await waitForProgress(handle, (p) => p.stage === 1);
  // A buffered record keeps the batching loop waiting on its flush timer when the cancel arrives.
  await handle.signal(feedbackSignal, feedbackFor(0, { seed: 900 }));
  await handle.cancel();
  await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  const { events } = await handle.fetchHistory();
  // UNHANDLED_COMMAND is the server refusing a completion because an event arrived meanwhile (a race
  // the SDK retries by design, seen on a loaded machine), not a failure of the workflow's code.
  const taskFailures = (events ?? []).filter(
    (e) => e.workflowTaskFailedEventAttributes && e.workflowTaskFailedEventAttributes.cause !== temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  );
  expect(taskFailures).toHaveLength(0);
}, 60_000);
