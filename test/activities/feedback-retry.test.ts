/**
 * persistFeedback retried after its first attempt committed but never reported (a worker killed
 * between the two): the retry counts the records it finds from that attempt as inserted, so the
 * learner's `received` and `corrections` stay exact; a genuine duplicate still counts as one.
 */
import type { FeedbackRecord } from '../../src/core/types';
import { harness, TASK } from './support';

const records = (receivedAt: number): FeedbackRecord[] =>
  ['p1', 'p2', 'p3'].map((predictionId) => ({ predictionId, input: { text: `t ${predictionId}` }, predicted: { sentiment: 'positive' }, correct: { sentiment: 'negative' }, versionId: 'v1', receivedAt }));

it('a retry finds its earlier attempt committed: inserted, not duplicates; a later resend of the same ids is a duplicate on any attempt', async () => {
  const h = harness();
  expect((await h.run('persistFeedback', [TASK, records(1_000)])).result).toMatchObject({ inserted: 3, duplicates: 0 });
  // The same call again as Temporal's retry of it.
  expect((await h.run('persistFeedback', [TASK, records(1_000)], { attempt: 2 })).result).toMatchObject({ inserted: 3, duplicates: 0 });
  // The same predictions received again later: duplicates, whichever attempt stores them.
  expect((await h.run('persistFeedback', [TASK, records(2_000)])).result).toMatchObject({ inserted: 0, duplicates: 3 });
  expect((await h.run('persistFeedback', [TASK, records(2_000)], { attempt: 3 })).result).toMatchObject({ inserted: 0, duplicates: 3 });
  // One id twice in a retried call counts once.
  expect((await h.run('persistFeedback', [TASK, [...records(1_000), ...records(1_000).slice(0, 1)]], { attempt: 2 })).result).toMatchObject({ inserted: 3, duplicates: 1 });
  expect(await h.store.feedbackCounts(TASK)).toEqual({ total: 3, corrections: 3 });
  await h.store.close();
});
