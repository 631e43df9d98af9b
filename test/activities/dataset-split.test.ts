/**
 * buildDataset's train/val split on a skewed classification: the minority label is validated in its
 * share, the recall floor's label on at least 5 rows where the pool has 10, and the result and the log
 * say when the pool is too thin for the validation split to judge the floor.
 */
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { FeedbackRecord } from '../../src/contract';
import type { Example } from '../../src/core/types';
import type { TaskSpecInput } from '../../src/core/task-spec';
import { makeExamples } from '../support/keyword-world';
import { harness, keywordSpec, TASK } from './support';

const labelled = (label: string, n: number, seed: number): Example[] =>
  makeExamples(4 * n, seed)
    .filter((e) => e.outputs.sentiment === label)
    .slice(0, n);

/** `negatives` corrections to "negative" from users, as feedback arrives. */
function corrections(negatives: number): FeedbackRecord[] {
  return labelled('negative', negatives, 21).map((e, i) => ({
    predictionId: `user-${String(i).padStart(3, '0')}`,
    input: e.inputs,
    predicted: { sentiment: 'positive' },
    correct: e.outputs,
    versionId: null,
    receivedAt: i,
  }));
}

/** 36 positive seed examples plus `negatives` negative corrections, split with a quarter validating. */
async function build(negatives: number, overrides: Partial<TaskSpecInput> = {}) {
  const logs: LogEntry[] = [];
  const h = harness(null, 0, new DefaultLogger('WARN', (entry) => logs.push(entry)));
  try {
    const seeds = labelled('positive', 36, 11);
    const holdout = makeExamples(10, 2);
    const spec = keywordSpec('http://127.0.0.1:9/v1', { data: { train: { examples: seeds }, holdout: { examples: holdout }, valFraction: 0.25 }, ...overrides });
    await h.run('persistFeedback', [TASK, corrections(negatives)]);
    const { result } = await h.run('buildDataset', [spec, { cycle: 1 }]);
    const snapshot = await h.store.getDataset(result.datasetId);
    const negativesIn = (rows: readonly Example[] = []) => rows.filter((e) => e.outputs.sentiment === 'negative').length;
    return { result, val: negativesIn(snapshot?.val), train: negativesIn(snapshot?.train), logs: logs.map((l) => l.message) };
  } finally {
    await h.store.close();
  }
}

const recallFloor = { label: 'negative', min: 0.5 };
/** A recall floor with an optimizer that ranks its candidates on the validation split. */
const floor = { gate: { recallFloor }, optimizer: { name: 'BootstrapFewShotWithRandomSearch', config: {}, seed: 3 } } as const;

it('validates a minority label in its share of the pool, and trains on it too', async () => {
  // 38 rows, 10 validating: the 2 negatives' share is 0.5 → one each side (a plain shuffle leaves 0 in val 56% of the time).
  const two = await build(2);
  expect([two.result.val, two.val, two.train]).toEqual([10, 1, 1]);
  // 16 of 52 are negative, 13 validating: 4.0 negatives.
  const sixteen = await build(16);
  expect([sixteen.result.val, sixteen.val, sixteen.train]).toEqual([13, 4, 12]);
});

it("gives the recall floor's label 5 validation rows when the pool has 10 or more, out of the other label's share", async () => {
  // 16 of 52 are negative, 13 validating: the share is 4.0 negatives (above, without a floor); the floor takes one from positive.
  const floored = await build(16, floor);
  expect([floored.result.val, floored.val, floored.train]).toEqual([13, 5, 11]);
  expect(floored.result).not.toHaveProperty('valWarning');
  expect(floored.logs).toEqual([]);
});

it('says when the pool holds too few rows of the recall floor label to judge it, and validates on half of them', async () => {
  // 6 of 42 are negative, 11 validating: the share is 1.6; half the negatives (3) validate, half train.
  const thin = await build(6, floor);
  expect([thin.result.val, thin.val, thin.train]).toEqual([11, 3, 3]);
  const warning = 'the validation split holds 3 rows of "negative" (the pool has 6): the recall floor of 50% cannot be judged before the gate';
  expect(thin.result.valWarning).toBe(warning);
  expect(thin.logs).toContain(warning);
});

it('says nothing when the split can judge the floor, or the spec names none', async () => {
  // 20 of 56 negative, 14 validating: 5 negatives.
  const enough = await build(20, floor);
  expect(enough.val).toBe(5);
  expect(enough.result).not.toHaveProperty('valWarning');
  expect(enough.logs).toEqual([]);
  const noFloor = await build(2);
  expect(noFloor.result).not.toHaveProperty('valWarning');
  expect(noFloor.logs).toEqual([]);
});

it('leaves the split alone, and warns of nothing, when the optimizer never reads the validation split', async () => {
  // keywordSpec's BootstrapFewShot picks no candidate there: the floor's minimum would only take training rows.
  const bootstrap = await build(6, { gate: { recallFloor } });
  expect(bootstrap).toEqual(await build(6));
  expect([bootstrap.val, bootstrap.train]).toEqual([2, 4]);
  expect(bootstrap.result).not.toHaveProperty('valWarning');
});
