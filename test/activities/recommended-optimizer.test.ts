/**
 * A spec that names no optimizer gets Kkachi's recommendation, and the optimize activity ranks its
 * candidates by the gate's measure (test/core/optimizers-balance.test.ts shows that ranking change
 * the winner): on an imbalanced keyword world the all-"negative" zero-shot candidate scores its
 * accuracy under the accuracy gate and its macro-F1 under a macro-F1 gate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTaskSpec, type TaskSpecInput } from '../../src/core/task-spec';
import type { Example } from '../../src/core/types';
import { keywordModel, keywordOracle, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { harness, keywordSpec, type Harness } from './support';

let double: LMDouble;
let h: Harness;
beforeAll(async () => {
  double = await startLMDouble(keywordOracle({ followMajority: true }));
  h = harness();
});
afterAll(async () => {
  await h.store.close();
  await double.close();
});

/** `negatives` negative and `positives` positive examples of one seeded pool. */
function imbalanced(negatives: number, positives: number, seed: number): Example[] {
  const pool = makeExamples(400, seed, { trickyRate: 0 });
  const of = (label: string, n: number) => pool.filter((e) => e.outputs.sentiment === label).slice(0, n);
  return [...of('negative', negatives), ...of('positive', positives)].map(({ id, inputs, outputs }) => ({ id, inputs, outputs }));
}

it('a spec without an optimizer gets the recommended one for its task type; a named one stays as named', () => {
  const { optimizer: _named, ...unnamed } = keywordSpec('http://127.0.0.1:1/v1') as TaskSpecInput;
  expect(parseTaskSpec(unnamed).optimizer).toEqual({
    name: 'BootstrapFewShotWithRandomSearch',
    config: { numCandidatePrograms: 4, maxBootstrappedDemos: 4, maxLabeledDemos: 4, balanceLabels: true, calibrate: true },
    seed: 0,
  });
  expect(parseTaskSpec({ ...unnamed, signature: 'context, question -> answer', metric: { name: 'token_f1' } }).optimizer.config).toEqual({
    numCandidatePrograms: 4,
    maxBootstrappedDemos: 4,
    maxLabeledDemos: 4,
  });
  expect(keywordSpec('http://127.0.0.1:1/v1').optimizer.name).toBe('BootstrapFewShot');
});

it('scores random-search candidates on the gate measure', async () => {
  const train = { examples: imbalanced(84, 6, 11) };
  const optimizer = { name: 'BootstrapFewShotWithRandomSearch' as const, config: { numCandidatePrograms: 1, maxBootstrappedDemos: 4, maxLabeledDemos: 16 }, seed: 0 };
  const run = async (gate: TaskSpecInput['gate']) => {
    const spec = keywordSpec(double.baseURL, { optimizer, gate, data: { train, holdout: { examples: imbalanced(40, 10, 12) }, valFraction: 0.4 } });
    const { result: baseline } = await h.run('ensureBaseline', [spec]);
    const { result: data } = await h.run('buildDataset', [spec, { cycle: 1 }]);
    const val = (await h.store.getDataset(data.datasetId))?.val ?? [];
    const summary = (await h.run('optimize', [spec, { datasetId: data.datasetId, parentVersionId: baseline.versionId, cycle: 1 }])).result;
    return { val, zeroShot: summary.candidates.find((c) => c.label === 'zero-shot')?.score };
  };
  // Zero-shot answers "negative" to everything (no demos, a tie reads "negative").
  const byAccuracy = await run(undefined);
  const negatives = byAccuracy.val.filter((e) => e.outputs.sentiment === 'negative').length;
  const positives = byAccuracy.val.length - negatives;
  expect(positives).toBeGreaterThan(0);
  expect(byAccuracy.zeroShot).toBeCloseTo(negatives / byAccuracy.val.length, 12);
  // Macro-F1 of always "negative": F1(negative) = 2n / (2n + p), F1(positive) = 0.
  const byF1 = await run({ measure: { name: 'macro_f1' } });
  expect(byF1.zeroShot).toBeCloseTo(negatives / (2 * negatives + positives), 12);
});

it('calibrates the recommended candidates over an endpoint that reports logprobs, the same from the response cache', async () => {
  double.setHandler(keywordModel({ followMajority: true }));
  const cacheDir = await mkdtemp(join(tmpdir(), 'kkachi-recommended-calibrated-'));
  const { optimizer: _named, ...unnamed } = keywordSpec(double.baseURL) as TaskSpecInput;
  const spec = parseTaskSpec(unnamed);
  const optimize = async () => {
    const cached = harness(cacheDir);
    try {
      const { result: baseline } = await cached.run('ensureBaseline', [spec]);
      const { result: data } = await cached.run('buildDataset', [spec, { cycle: 1 }]);
      return (await cached.run('optimize', [spec, { datasetId: data.datasetId, parentVersionId: baseline.versionId, cycle: 1 }])).result.candidates;
    } finally {
      await cached.store.close();
    }
  };
  try {
    const fresh = await optimize();
    const labels = fresh.map((c) => c.label);
    for (const base of ['zero-shot', 'labeled-only']) {
      expect(labels).toEqual(expect.arrayContaining([`${base}+calibrated`, `${base}+batch`, `${base}+fitted`]));
    }
    // Every call is a cache hit the second time; the hits keep their label log-probabilities, so the twins stay.
    const calls = double.requests.length;
    expect(await optimize()).toEqual(fresh);
    expect(double.requests).toHaveLength(calls);
  } finally {
    double.setHandler(keywordOracle({ followMajority: true }));
    await rm(cacheDir, { recursive: true, force: true });
  }
});
