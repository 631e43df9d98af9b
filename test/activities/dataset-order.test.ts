/** A dataset snapshot depends on which feedback was stored, not on the order it arrived in. */
import type { FeedbackRecord } from '../../src/contract';
import { makeExamples } from '../support/keyword-world';
import { harness, keywordSpec, TASK } from './support';

const records: FeedbackRecord[] = makeExamples(12, 77).map((e, i) => ({
  predictionId: `user-${String(i).padStart(2, '0')}`,
  input: e.inputs,
  predicted: i % 3 === 0 ? { sentiment: e.outputs.sentiment === 'positive' ? 'negative' : 'positive' } : e.outputs,
  correct: e.outputs,
  versionId: null,
  receivedAt: i,
}));

async function snapshotAfter(batches: FeedbackRecord[][]): Promise<string> {
  const h = harness();
  try {
    const spec = keywordSpec('http://127.0.0.1:9/v1');
    for (const batch of batches) await h.run('persistFeedback', [TASK, batch]);
    return (await h.run('buildDataset', [spec, { cycle: 1 }])).result.datasetId;
  } finally {
    await h.store.close();
  }
}

it('gives the same snapshot id whatever order the same feedback was stored in', async () => {
  const inOrder = await snapshotAfter([records]);
  const reordered = await snapshotAfter([records.slice(6).reverse(), records.slice(0, 6)]);
  expect(reordered).toBe(inOrder);
  expect(await snapshotAfter([records.slice(1)])).not.toBe(inOrder);
});
