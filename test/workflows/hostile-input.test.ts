/**
 * Input a caller controls cannot jam a learner: batch signals are taken record by record, oversized
 * feedback is refused by size with a short field-named error before it touches state (it never reaches
 * history), and valid traffic sent meanwhile is counted exactly once.
 *
 * Updates up to just under Temporal's 2 MB payload limit are refused by the learner's validator. A
 * larger one cannot be: its acceptance or rejection carries the request back, and the worker will not
 * send more than 2 MB, so every workflow task it is delivered in fails until the server gives up on it
 * (~20 s), and updates sent meanwhile fail with it. The client helper `submitFeedback`
 * (and with it `kkachi task feedback`, test/cli/cli.test.ts) refuses it before sending, and sends
 * again the valid updates that a raw one takes down with it.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  feedbackBatches,
  feedbackBatchSignal,
  learnerWorkflowId,
  statusQuery,
  submitFeedbackBatchUpdate,
  submitFeedbackUpdate,
  type FeedbackPayload,
} from '../../src/contract';
import { DEFAULT_FEEDBACK_BYTES } from '../../src/core/task-spec';
import { isTransientUpdateFailure, submitFeedback } from '../../src/temporal/feedback';
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

/** The 20 valid records stored and counted once; nothing of the oversized ones in the history. */
async function expectOnlyTheValidStored(handle: WorkflowHandle, name: string): Promise<void> {
  const status = await handle.query(statusQuery);
  expect(status.counters).toEqual({ received: 20, corrections: 20, duplicates: 0, rejected: 0 });
  expect(await h.store.listFeedback(name)).toHaveLength(20);
  const historyBytes = (await handle.fetchHistory()).events?.reduce((n, e) => n + JSON.stringify(e).length, 0) ?? 0;
  expect(historyBytes).toBeLessThan(500_000);
  await handle.terminate('test done');
}

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

it('answers a batch update record by record, and refuses one that is not a list of records', async () => {
  const handle = await start('batch-update');
  const valid = feedbackFor(1, { seed: 605 });
  const ack = await handle.executeUpdate(submitFeedbackBatchUpdate, { args: [{ records: [valid, valid, { ...valid, predictionId: 'bad', correct: { sentiment: 'meh' } }] }] });
  expect(ack).toEqual({ taken: 1, duplicates: 1, rejected: [{ index: 2, error: expect.stringMatching(/^correct\.sentiment: expected one of positive\|negative, got "meh"/) }] });

  const refused = await handle.executeUpdate(submitFeedbackBatchUpdate, { args: [{ records: 'nope' } as never] }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/^feedbackBatch\.records: /);
  const status = await waitForStatus(handle, (s) => s.counters.received === 1);
  expect(status.counters).toEqual({ received: 1, corrections: 1, duplicates: 1, rejected: 1 });
  await handle.terminate('test done');
}, 60_000);

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

  await expectOnlyTheValidStored(handle, name);
}, 90_000);

it('3 MB updates, an invalid and a valid one: refused before sending by submitFeedback; sent raw, they fail workflow tasks for a while, the learner keeps running and valid updates sent meanwhile are stored once', async () => {
  const name = 'oversized-3mb';
  const handle = await start(name);
  const invalid = { ...feedbackFor(0, { seed: 620 }), correct: { sentiment: 'y'.repeat(3_000_000) } };
  const valid3mb = { ...feedbackFor(0, { seed: 621 }), input: { text: 'x'.repeat(3_000_000) } };
  const workflowTaskFailures = async () => (await handle.fetchHistory()).events?.filter((e) => e.workflowTaskFailedEventAttributes) ?? [];

  // The client helper names the field and never contacts the learner.
  for (const [payload, field] of [[invalid, 'correct.sentiment'], [valid3mb, 'input.text']] as const) {
    await expect(submitFeedback(handle, payload, { maxBytes: DEFAULT_FEEDBACK_BYTES })).rejects.toThrow(
      new RegExp(`^feedback rejected: ${field.replace('.', '\\.')}: feedback is \\d+ bytes, over the limit of 65536 bytes`),
    );
  }
  expect(await workflowTaskFailures()).toHaveLength(0);

  // Sent raw, together with 20 valid updates through the helper (which sends again those the failed tasks took down).
  const valid = Array.from({ length: 20 }, (_, i) => feedbackFor(i + 1, { seed: 620 }));
  const startedAt = Date.now();
  const raw = (payload: FeedbackPayload) =>
    handle.executeUpdate(submitFeedbackUpdate, { args: [payload] }).then(
      () => ({ err: undefined, ms: Date.now() - startedAt }),
      (err: unknown) => ({ err, ms: Date.now() - startedAt }),
    );
  const [refusedInvalid, refusedValid, ...acks] = await Promise.all([raw(invalid), raw(valid3mb), ...valid.map((v) => submitFeedback(handle, v, { maxBytes: DEFAULT_FEEDBACK_BYTES }))]);
  // The server gives up on each after delivering it again for ~20 s, failing it as it fails updates caught in a failed workflow task.
  for (const refused of [refusedInvalid, refusedValid]) {
    expect(refused.ms).toBeLessThan(60_000);
    expect(isTransientUpdateFailure(refused.err)).toBe(true);
    expect(String((refused.err as Error & { cause?: Error }).cause?.message)).toMatch(/FAILED_PRECONDITION.*Workflow Task in failed state/);
  }
  expect(acks).toEqual(valid.map((v) => ({ accepted: true, duplicate: false, predictionId: v.predictionId })));

  const failures = await workflowTaskFailures();
  expect(failures.length).toBeGreaterThan(0);
  expect(failures[0]?.workflowTaskFailedEventAttributes?.failure?.message).toMatch(/payloads with size that exceeded the error limit/);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  // Queries wait for the next workflow task to succeed; on a loaded machine that can take a while after the last refusal.
  await waitForStatus(handle, () => true);
  await expectOnlyTheValidStored(handle, name);
}, 180_000);
