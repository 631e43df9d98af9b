/**
 * A flood that never pauses (issue 9): senders put 200-record batches into one learner as fast as it
 * takes them, each sending its next batch the moment the last one is answered. By signal, such a flood
 * keeps a run from ever continuing as new (the server refuses to close a run with signals it has not
 * shown the workflow yet) until its history reaches the 50 MB at which the server terminates it. By
 * `submitFeedbackBatch`, the learner refuses batches as `LearnerBusy` once its run is full, the senders
 * wait, and the run continues as new: here with the server's default limits, no per-run signal limit.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { learnerWorkflowId, type FeedbackPayload } from '../../src/contract';
import { DEFAULT_FEEDBACK_BYTES } from '../../src/core/task-spec';
import { submitFeedbackBatch } from '../../src/temporal/feedback';
import { learner } from '../../src/workflows/learner';
import { RUN_HISTORY_BYTES } from '../../src/workflows/task-learner';
import { feedbackFor, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

const FLOOD_MS = 15_000;
const SENDERS = 4;
const BATCH = 200;
/** Batches one run takes before it continues as new: small, so that a short flood crosses several runs. */
const BATCHES_PER_RUN = 20;

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

/** Sends batches from SENDERS senders until FLOOD_MS has passed; resolves with the records sent and what the acks said. */
async function flood(handle: WorkflowHandle, task: string): Promise<{ sent: FeedbackPayload[]; taken: number; duplicates: number; rejected: number }> {
  const sent: FeedbackPayload[] = [];
  const totals = { taken: 0, duplicates: 0, rejected: 0 };
  const end = Date.now() + FLOOD_MS;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (Date.now() < end) {
        const first = sent.length;
        const records = Array.from({ length: BATCH }, (_, k) => ({ ...feedbackFor((first + k) % 1_000, { seed: 930, confirm: k % 50 !== 0 }), predictionId: `${task}-${first + k}` }));
        sent.push(...records);
        const ack = await submitFeedbackBatch(handle, { records }, { maxBytes: DEFAULT_FEEDBACK_BYTES, retryDelayMs: 200 });
        totals.taken += ack.taken;
        totals.duplicates += ack.duplicates;
        totals.rejected += ack.rejected.length;
      }
    }),
  );
  return { sent, ...totals };
}

it('a batch flood that never pauses: the run continues as new again and again, well under the history limits, and every record is stored once', async () => {
  const task = 'flood';
  const spec = keywordTask(task, h.double.baseURL, { triggers: { corrections: 100_000_000 }, limits: { feedbackBytes: DEFAULT_FEEDBACK_BYTES, signalsPerRun: BATCHES_PER_RUN } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
  await waitForStatus(handle, (s) => s.activeVersion !== null);

  const { sent, taken, duplicates, rejected } = await flood(handle, task);
  console.log(`flood: ${sent.length} records in ${FLOOD_MS / 1_000} s`);
  expect({ taken, duplicates, rejected }).toEqual({ taken: sent.length, duplicates: 0, rejected: 0 });
  expect(sent.length).toBeGreaterThan(BATCHES_PER_RUN * BATCH * 2);

  const corrections = sent.filter((m) => m.predicted.sentiment !== m.correct.sentiment).length;
  const status = await waitForStatus(handle, (s) => s.counters.received >= sent.length && s.buffered === 0, 60_000);
  expect(status.counters).toEqual({ received: sent.length, corrections, duplicates: 0, rejected: 0 });
  expect(await h.store.feedbackCounts(task)).toEqual({ total: sent.length, corrections });
  expect(status.generation).toBeGreaterThanOrEqual(2);

  const runs = [];
  for await (const run of h.env.client.workflow.list({ query: `WorkflowId = "${learnerWorkflowId(task)}"` })) runs.push(run);
  expect(runs).toHaveLength(status.generation + 1);
  expect(runs.filter((r) => r.status.name === 'RUNNING')).toHaveLength(1);
  expect(runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW')).toHaveLength(status.generation);
  // Closed runs' sizes are final: each closed near its own budget, far from the server's 50 MB.
  console.log(`runs: ${runs.map((r) => `${r.status.name} ${r.historyLength} events ${((r.historySize ?? 0) / 1e6).toFixed(1)} MB`).join('; ')}`);
  for (const run of runs) expect(run.historySize ?? 0).toBeLessThan(RUN_HISTORY_BYTES);
  await handle.terminate('test done');
}, 180_000);
