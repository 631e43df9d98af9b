/** Retried attempts resume from the last heartbeat instead of redoing finished work. */
import { evaluationCheckpointKey } from '../../src/activities/evaluate';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { keywordOracle } from '../support/keyword-world';
import { activityProgressSchema } from '../../src/contract';
import { harness, keywordSpec, type Harness } from './support';

let double: LMDouble;
let h: Harness;
let datasetId: string;
let baselineId: string;
beforeAll(async () => {
  double = await startLMDouble(keywordOracle());
  h = harness();
  const spec = keywordSpec(double.baseURL);
  baselineId = (await h.run('ensureBaseline', [spec])).result.versionId;
  datasetId = (await h.run('buildDataset', [spec, { cycle: 1 }])).result.datasetId;
});
afterAll(async () => {
  await h.store.close();
  await double.close();
});
beforeEach(() => double.reset());

/** The rows an evaluation checkpointed in the store (what a retried attempt resumes from). */
async function checkpointRows(split: 'holdout' | 'val'): Promise<{ id: string; latencyMs: number }[]> {
  const content = await h.store.getCheckpoint(evaluationCheckpointKey({ versionId: baselineId, datasetId, split }));
  return content === null ? [] : JSON.parse(content);
}

it('evaluate: a retry after an outage predicts only the rows the failed attempt had not finished', async () => {
  const spec = keywordSpec(double.baseURL);
  const oracle = keywordOracle();
  // Every third request fails: the run stops at the error budget with some rows done.
  double.setHandler((req, i) => (i % 3 === 2 ? { status: 503 } : oracle(req)));
  const first = await h.attempt('evaluate', [spec, { versionId: baselineId, datasetId, split: 'holdout' }]);
  expect(first.error).toMatchObject({ nonRetryable: false });
  const checkpoint = { rows: await checkpointRows('holdout') };
  const finished = checkpoint.rows.length;
  expect(finished).toBeGreaterThan(0);
  expect(finished).toBeLessThan(40);
  // The heartbeat carries progress numbers only, never the rows: `temporal workflow describe` stays readable.
  for (const beat of first.heartbeats) expect(Object.keys(beat as object).sort()).toEqual(['correct', 'done', 'stage', 'total']);
  expect(first.heartbeats.at(-1)).toEqual({ stage: 'evaluate', done: finished, total: 40, correct: expect.any(Number) });

  double.reset();
  double.setHandler(oracle);
  const { result } = await h.run('evaluate', [spec, { versionId: baselineId, datasetId, split: 'holdout' }], { attempt: 2 });
  expect(double.requests).toHaveLength(40 - finished);
  expect(result).toMatchObject({ n: 40, errors: 0, lmCalls: 40 - finished });
  // Resumed rows are the checkpoint's rows, not new predictions.
  const report = (await h.store.getReport(result.reportId))!.report;
  for (const row of checkpoint.rows) expect(report.rows.find((r) => r.id === row.id)?.latencyMs).toBe(row.latencyMs);
  // No request repeated a finished example.
  const finishedTexts = new Set(
    (await h.store.getDataset(datasetId))!.holdout.filter((e) => checkpoint.rows.some((r) => r.id === e.id)).map((e) => String(e.inputs.text)),
  );
  expect(finishedTexts.size).toBe(finished);
  const asked = double.requests.map((r) => r.messages.at(-1)?.content ?? '');
  expect(asked.filter((query) => [...finishedTexts].some((text) => query.includes(text)))).toEqual([]);
  // Once the report is stored, the checkpoint is gone.
  expect(await checkpointRows('holdout')).toEqual([]);
});

it('evaluate keeps heartbeating while a slow LM call runs, before any example finishes', async () => {
  const spec = keywordSpec(double.baseURL);
  const oracle = keywordOracle();
  double.setHandler((req) => ({ text: oracle(req), delayMs: 600 }));
  const slow = harness(null, 50);
  try {
    const baseline = (await slow.run('ensureBaseline', [spec])).result.versionId;
    const data = (await slow.run('buildDataset', [spec, { cycle: 1 }])).result.datasetId;
    const { heartbeats } = await slow.run('evaluate', [spec, { versionId: baseline, datasetId: data, split: 'val' }]);
    // Every prediction runs concurrently and takes 600 ms: only the timer can beat before the first one ends.
    const beforeFirstRow = heartbeats.filter((d) => (d as { done: number }).done === 0);
    expect(beforeFirstRow.length).toBeGreaterThanOrEqual(3);
  } finally {
    await slow.store.close();
    double.setHandler(keywordOracle());
  }
});

it('evaluate ignores checkpoint rows of examples outside the split', async () => {
  const spec = keywordSpec(double.baseURL);
  const stale = [{ id: 'not-in-split', outputs: null, score: 1, passed: true, latencyMs: 1, cached: false }];
  await h.store.putCheckpoint(evaluationCheckpointKey({ versionId: baselineId, datasetId, split: 'val' }), JSON.stringify(stale));
  const { result } = await h.run('evaluate', [spec, { versionId: baselineId, datasetId, split: 'val' }]);
  expect(double.requests).toHaveLength(result.n);
  expect((await h.store.getReport(result.reportId))!.report.rows.map((r) => r.id)).not.toContain('not-in-split');
});

it('optimize: a retry after the version was stored returns it without compiling again', async () => {
  const spec = keywordSpec(double.baseURL);
  const { result, heartbeats } = await h.run('optimize', [spec, { datasetId, parentVersionId: baselineId, cycle: 1 }]);
  double.reset();
  const retry = await h.run('optimize', [spec, { datasetId, parentVersionId: baselineId, cycle: 1 }], { attempt: 2, heartbeatDetails: heartbeats.at(-1) });
  expect(retry.result).toEqual(result);
  expect(double.requests).toHaveLength(0);
});

it('every heartbeat of evaluate and optimize is the public ActivityProgress the demo reads', async () => {
  const spec = keywordSpec(double.baseURL);
  const evaluated = await h.run('evaluate', [spec, { versionId: baselineId, datasetId, split: 'holdout' }]);
  const optimized = await h.run('optimize', [spec, { datasetId, parentVersionId: baselineId, cycle: 2 }]);
  for (const beat of [...evaluated.heartbeats, ...optimized.heartbeats]) expect(activityProgressSchema.safeParse(beat).success).toBe(true);
  // Evaluate counts the examples scored right; at the end, the report's accuracy.
  const last = activityProgressSchema.parse(evaluated.heartbeats.at(-1));
  expect(last).toMatchObject({ stage: 'evaluate', done: 40, total: 40 });
  expect((last.correct ?? NaN) / last.done).toBeCloseTo(evaluated.result.accuracy, 9);
});
