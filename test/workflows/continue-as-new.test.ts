/**
 * Feedback is never lost or double-counted: 500 signals (10% duplicates, 5% malformed) to a learner
 * whose server suggests continue-as-new every few dozen events, so the counters, the pending buffer
 * and the recent prediction ids must survive several runs. The store is the referee.
 */
import { type FeedbackPayload, feedbackSignal, learnerWorkflowId } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { createRng } from '../../src/core/random';
import { feedbackFor, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness({ suggestContinueAsNew: 40 });
}, 60_000);
afterAll(() => h?.stop());

/** 425 distinct valid records (a third confirmations), 50 re-sends of earlier ids, 25 malformed payloads. */
function traffic(): { messages: unknown[]; valid: FeedbackPayload[] } {
  const rng = createRng(11);
  const valid = Array.from({ length: 425 }, (_, i) => feedbackFor(i, { seed: 700, confirm: i % 3 === 0 }));
  const messages: unknown[] = [...valid];
  for (let d = 0; d < 50; d++) {
    const at = 10 + rng.int(messages.length - 10);
    messages.splice(at, 0, valid[rng.int(Math.min(at, valid.length))]);
  }
  const malformed = (k: number): unknown =>
    [
      { ...feedbackFor(k, { seed: 701 }), predictionId: '' },
      { ...feedbackFor(k, { seed: 701 }), input: { text: 42 } },
      { ...feedbackFor(k, { seed: 701 }), correct: { sentiment: 'meh' } },
      { predictionId: `only-id-${k}` },
      'not even an object',
    ][k % 5];
  for (let m = 0; m < 25; m++) messages.splice(rng.int(messages.length), 0, malformed(m));
  return { messages, valid };
}

it('counts every valid feedback exactly once across several continue-as-new runs', async () => {
  const spec = keywordTask('flood', h.double.baseURL, { triggers: { corrections: 100_000 } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId('flood'), args: [spec] });
  await waitForStatus(handle, (s) => s.activeVersion !== null);

  const { messages, valid } = traffic();
  expect(messages).toHaveLength(500);
  // Two senders, like two service replicas. (A flood faster than a workflow task round trip postpones
  // continue-as-new: the server refuses to close a run while new signals keep arriving.)
  const queue = [...messages];
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) await handle.signal(feedbackSignal, m as FeedbackPayload);
    }),
  );

  const corrections = valid.filter((v) => v.predicted.sentiment !== v.correct.sentiment).length;
  const status = await waitForStatus(handle, (s) => s.counters.received + s.counters.duplicates + s.counters.rejected === 500 && s.buffered === 0, 60_000);
  expect(status.counters).toEqual({ received: 425, corrections, duplicates: 50, rejected: 25 });
  expect(status.pendingCorrections).toBe(corrections);
  expect(status.generation).toBeGreaterThanOrEqual(3);

  const stored = await h.store.listFeedback('flood');
  expect(stored).toHaveLength(425);
  expect(new Set(stored.map((f) => f.predictionId))).toEqual(new Set(valid.map((v) => v.predictionId)));
  expect(await h.store.feedbackCounts('flood')).toEqual({ total: 425, corrections });

  // A new learner on the same task has no memory of these ids: the store's uniqueness still catches them.
  await handle.terminate('restart the learner');
  const again = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId('flood'), args: [spec] });
  for (const v of valid.slice(0, 10)) await again.signal(feedbackSignal, v);
  const resent = await waitForStatus(again, (s) => s.counters.duplicates === 10 && s.buffered === 0);
  expect(resent.counters).toEqual({ received: 0, corrections: 0, duplicates: 10, rejected: 0 });
  expect(await h.store.listFeedback('flood')).toHaveLength(425);
  await again.terminate('test done');
}, 120_000);
