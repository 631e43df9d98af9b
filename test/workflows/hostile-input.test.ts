/**
 * Input a caller controls cannot jam a learner: batch signals are taken record by record, oversized
 * feedback is refused by size with a short field-named error before it touches state (it never reaches
 * history), and valid traffic sent meanwhile is counted exactly once.
 *
 * Updates stop just under Temporal's 2 MB payload limit: the SDK's rejection message carries the
 * rejected request back to the server, so a larger update cannot be refused by any workflow code (it
 * fails the workflow task until the caller gives up). The edges refuse those before sending
 * (test/cli/cli.test.ts).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { feedbackBatches, feedbackBatchSignal, learnerWorkflowId, statusQuery, submitFeedbackUpdate, type FeedbackPayload } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { feedbackFor, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

const start = async (name: string) => {
  const spec = keywordTask(name, h.double.baseURL, { triggers: { corrections: 100_000 } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(name), args: [spec] });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  return handle;
};

const withText = (payload: FeedbackPayload, chars: number): FeedbackPayload => ({ ...payload, input: { text: 'x'.repeat(chars) } });

it('takes a batch signal record by record: valid, duplicate, malformed and oversized each counted once', async () => {
  const handle = await start('batches');
  const valid = Array.from({ length: 1_500 }, (_, i) => feedbackFor(i % 1_000, { seed: 600 + Math.floor(i / 1_000), confirm: i % 4 === 0 }));
  const records: unknown[] = [...valid, valid[3], valid[1_200], { predictionId: 'no-fields' }, withText(feedbackFor(0, { seed: 602 }), 70_000)];
  const batches = feedbackBatches(records as FeedbackPayload[]);
  expect(batches.map((b) => b.records.length)).toEqual([1_000, 504]);
  for (const batch of batches) await handle.signal(feedbackBatchSignal, batch);
  // A batch that is not a list of records is one rejection.
  await handle.signal(feedbackBatchSignal, { records: 'nope' } as never);

  const corrections = valid.filter((v) => v.predicted.sentiment !== v.correct.sentiment).length;
  const status = await waitForStatus(handle, (s) => s.counters.received + s.counters.duplicates + s.counters.rejected === 1_505);
  expect(status.counters).toEqual({ received: 1_500, corrections, duplicates: 2, rejected: 3 });
  expect(await h.store.listFeedback('batches')).toHaveLength(1_500);
  await handle.terminate('test done');
}, 90_000);

it.each([
  ['1 MB', 1_000_000],
  ['1.9 MB', 1_900_000],
])('refuses a %s update fast with a short field-named error while valid updates go through', async (label, chars) => {
  const name = `oversized-${chars}`;
  const handle = await start(name);
  // An invalid label the size of the payload: neither its size nor its value may reach the error or the history.
  const huge = { ...feedbackFor(0, { seed: 610 }), correct: { sentiment: 'y'.repeat(chars) } };
  const valid = Array.from({ length: 20 }, (_, i) => feedbackFor(i + 1, { seed: 610 }));

  const startedAt = Date.now();
  let refusedAfterMs = Infinity;
  const [refused, ...acks] = await Promise.all([
    handle.executeUpdate(submitFeedbackUpdate, { args: [huge] }).catch((err: unknown) => {
      refusedAfterMs = Date.now() - startedAt;
      return err;
    }),
    ...valid.map((v) => handle.executeUpdate(submitFeedbackUpdate, { args: [v] })),
  ]);
  // One workflow task round trip (generous for a loaded machine); a jammed learner took minutes.
  expect(refusedAfterMs).toBeLessThan(30_000);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  const message = String((refused as WorkflowUpdateFailedError).cause?.message);
  expect(message).toMatch(/^correct\.sentiment: feedback is \d+ bytes, over the limit of 65536 bytes/);
  expect(message.length).toBeLessThan(300);
  expect(acks.every((a) => a.accepted)).toBe(true);

  // A small invalid label is refused by the signature, quoting the value briefly.
  const bad = await handle.executeUpdate(submitFeedbackUpdate, { args: [{ ...feedbackFor(30, { seed: 610 }), correct: { sentiment: 'z'.repeat(5_000) } }] }).catch((e: unknown) => e);
  const badMessage = String((bad as WorkflowUpdateFailedError).cause?.message);
  expect(badMessage).toMatch(/^correct\.sentiment: expected one of positive\|negative, got "zzz/);
  expect(badMessage.length).toBeLessThan(150);

  const status = await handle.query(statusQuery);
  expect(status.counters).toEqual({ received: 20, corrections: 20, duplicates: 0, rejected: 0 });
  expect(await h.store.listFeedback(name)).toHaveLength(20);
  const historyBytes = (await handle.fetchHistory()).events?.reduce((n, e) => n + JSON.stringify(e).length, 0) ?? 0;
  expect(historyBytes).toBeLessThan(500_000);
  await handle.terminate('test done');
}, 90_000);
