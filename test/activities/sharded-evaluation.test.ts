/**
 * Evaluation in shards (what lets several workers share one evaluation) gives the report one
 * `evaluate` run gives: same rows in dataset order, same report id, accuracy and latency percentiles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { keywordOracle } from '../support/keyword-world';
import { harness, keywordSpec, type Harness } from './support';

let double: LMDouble;
let h: Harness;
let cacheDir: string;
let target: { versionId: string; datasetId: string; split: 'holdout' };
beforeAll(async () => {
  double = await startLMDouble(keywordOracle());
  cacheDir = mkdtempSync(join(tmpdir(), 'kkachi-shards-'));
  h = harness(cacheDir);
  const spec = keywordSpec(double.baseURL);
  const versionId = (await h.run('ensureBaseline', [spec])).result.versionId;
  const datasetId = (await h.run('buildDataset', [spec, { cycle: 1 }])).result.datasetId;
  target = { versionId, datasetId, split: 'holdout' };
});
afterAll(async () => {
  await h.store.close();
  await double.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

it('shards merged in order make the report one evaluate run makes', async () => {
  const spec = keywordSpec(double.baseURL);
  // Warm the response cache, so both runs below read the same replies with the same latencies.
  await h.run('evaluate', [spec, target]);
  double.reset();
  const whole = (await h.run('evaluate', [spec, target])).result;

  // 40 held-out examples in shards of 15: 15 + 15 + 10, finished out of order.
  const shards = [2, 0, 1].map((index) => ({ index, size: 15 }));
  const done = [];
  for (const shard of shards) {
    const { result, heartbeats } = await h.run('evaluateShard', [spec, { ...target, shard }]);
    done.push(result);
    // Each shard says which one it is, of how many, so status can sum the shards under way.
    expect(heartbeats.at(-1)).toEqual({ stage: 'evaluate', done: result.n, total: result.n, correct: result.correct, shard: { index: shard.index, of: 3 } });
  }
  expect(done.map((d) => [d.index, d.n])).toEqual([
    [2, 10],
    [0, 15],
    [1, 15],
  ]);
  const merged = (await h.run('mergeEvaluation', [spec, { ...target, shardSize: 15, shards: 3 }])).result;
  expect(double.requests).toHaveLength(0);
  expect(merged).toEqual(whole);
  expect(done.reduce((n, d) => n + d.correct, 0)).toBe(Math.round(whole.accuracy * whole.n));
  const a = (await h.store.getReport(whole.reportId))!.report;
  const b = (await h.store.getReport(merged.reportId))!.report;
  expect(b.rows).toEqual(a.rows);
  expect(b.latency).toEqual(a.latency);
  expect(b.usage).toEqual(a.usage);

  // A retried merge (its first attempt cleared the shards' rows) answers the same.
  expect((await h.run('mergeEvaluation', [spec, { ...target, shardSize: 15, shards: 3 }])).result).toEqual(merged);
});

it('a retried shard does no LM work twice; a merge without every shard fails naming it', async () => {
  const spec = keywordSpec(double.baseURL, { lm: { provider: 'openai', model: 'other-model', baseURL: double.baseURL, maxTokens: 32 } });
  double.reset();
  const shard = { index: 1, size: 25 };
  const first = (await h.run('evaluateShard', [spec, { ...target, shard }])).result;
  expect(first).toMatchObject({ index: 1, n: 15, lmCalls: 15 });
  const again = (await h.run('evaluateShard', [spec, { ...target, shard }], { attempt: 2 })).result;
  expect(again).toEqual(first);
  expect(double.requests).toHaveLength(15);

  const missing = await h.attempt('mergeEvaluation', [spec, { ...target, shardSize: 25, shards: 2 }]);
  expect(missing.error).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/evaluation shard 0 of 2 has no stored result/) });
  const past = await h.attempt('evaluateShard', [spec, { ...target, shard: { index: 2, size: 25 } }]);
  expect(past.error).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/shard 2 of size 25 is past the end of the holdout split \(40 examples\)/) });
});
