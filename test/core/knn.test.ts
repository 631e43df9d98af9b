/**
 * KNN programs and DSPy's KNNFewShot in the keyword world: the scripted model labels a text right only
 * when a demo mentions its keyword, so a fixed handful of demos knows a few keywords while demos
 * chosen per request by embedding similarity bring the one that matters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifact, parseArtifact } from '../../src/core/artifact';
import { evaluate } from '../../src/core/evaluate';
import { knnText, nearestDemos, unitVector } from '../../src/core/knn';
import { CachedLM } from '../../src/core/lm/cache';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import type { LM } from '../../src/core/lm/types';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShot, createOptimizer, KNNFewShot } from '../../src/core/optimizers';
import { predict, studentOf } from '../../src/core/program';
import type { Example } from '../../src/core/types';
import { isTricky, keywordEmbedding, keywordOf, keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { hashedBagOfWords, startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const flip = (e: Example) => (e.outputs.sentiment === 'positive' ? 'negative' : 'positive');
/** The keyword world's user turns before the query: one per demo. */
const demoTurns = (messages: { role: string; content: string }[]) => messages.filter((m) => m.role === 'user').slice(0, -1).map((m) => m.content);

describe('KNN programs (keyword world)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  const trainset = makeExamples(48, 1);
  const holdout = makeExamples(60, 2);

  beforeAll(async () => {
    double = await startLMDouble(keywordOracle(), { embed: keywordEmbedding });
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(() => double.reset());

  it('KNNFewShot stores every training example in the pool: passing traces as the teacher answered, the rest with their labels', async () => {
    const { program, traces } = await new KNNFewShot({ k: 3 }).compile(keywordProgram(), { trainset, lm, metric, seed: 0 });
    expect(traces).toBe(trainset.length);
    expect(program.demos).toEqual([]);
    expect(program.knn?.k).toBe(3);
    const pool = program.knn?.pool ?? [];
    expect(pool.filter((d) => d.augmented).length).toBeGreaterThan(trainset.length / 2);
    expect(pool.map((d) => d.inputs.text).sort()).toEqual(trainset.map((e) => e.inputs.text).sort());
    for (const entry of pool) {
      const example = trainset.find((e) => e.inputs.text === entry.inputs.text) as Example;
      // Tricky examples fail the metric, so they are never traces; a kept trace carries the gold label.
      if (isTricky(example)) expect(entry.augmented).toBeUndefined();
      expect(entry.outputs).toEqual(example.outputs);
      expect(entry.vector).toEqual(unitVector(keywordEmbedding(knnText(example.inputs, ['text']))));
    }
    // Embedded once, in one batch, as DSPy casts inputs.
    expect(double.embedRequests).toEqual([pool.map((d) => `text: ${String(d.inputs.text)}`)]);
  });

  it('answers with the k demos nearest each request and beats a fixed set of as many demos', async () => {
    const student = keywordProgram();
    const knn = await new KNNFewShot({ k: 4 }).compile(student, { trainset, lm, metric, seed: 0 });
    const fixed = await new BootstrapFewShot({ maxBootstrappedDemos: 4, maxLabeledDemos: 4 }).compile(student, { trainset, lm, metric, seed: 0 });
    const fixedReport = await evaluate(fixed.program, holdout, { lm, metric, concurrency: 1 });
    double.reset();
    const knnReport = await evaluate(knn.program, holdout, { lm, metric, concurrency: 1 });

    // Every request's demos share its keyword, so only the tricky rows stay wrong.
    expect(knnReport.rows.map((r) => r.outputs?.sentiment)).toEqual(holdout.map((e) => (isTricky(e) ? flip(e) : e.outputs.sentiment)));
    expect(double.requests).toHaveLength(holdout.length);
    for (const [i, request] of double.requests.entries()) {
      const keyword = keywordOf(holdout[i]?.inputs.text);
      const sameKeyword = Math.min(4, trainset.filter((e) => keywordOf(e.inputs.text) === keyword).length);
      const demos = demoTurns(request.messages);
      expect(demos).toHaveLength(4);
      expect(demos.slice(0, sameKeyword).map(keywordOf)).toEqual(Array(sameKeyword).fill(keyword));
    }
    // Four fixed demos know at most four of the twelve keywords.
    expect(knnReport.meanScore - fixedReport.meanScore).toBeGreaterThan(0.25);
  });

  it('also works with a plain bag-of-words embedding, less sharply', async () => {
    const bagDouble = await startLMDouble(keywordOracle(), { embed: hashedBagOfWords });
    try {
      const bagLm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: bagDouble.baseURL, retry: 'off' });
      const student = keywordProgram();
      const knn = await new KNNFewShot({ k: 4 }).compile(student, { trainset, lm: bagLm, metric, seed: 0 });
      const fixed = await new BootstrapFewShot({ maxBootstrappedDemos: 4, maxLabeledDemos: 4 }).compile(student, { trainset, lm: bagLm, metric, seed: 0 });
      const fixedReport = await evaluate(fixed.program, holdout, { lm: bagLm, metric });
      const knnReport = await evaluate(knn.program, holdout, { lm: bagLm, metric });
      expect(knnReport.meanScore).toBeGreaterThan(fixedReport.meanScore);
    } finally {
      await bagDouble.close();
    }
  });

  it('ranks by cosine similarity, nearest first, ties in pool order; refuses vectors of another size', () => {
    const demo = (text: string, vector: number[]) => ({ inputs: { text }, outputs: { sentiment: 'positive' }, vector: unitVector(vector) });
    const knn = { k: 2, pool: [demo('a', [1, 0]), demo('b', [0, 1]), demo('c', [2, 2]), demo('d', [0, 3])] };
    expect(nearestDemos(knn, [0, 5]).map((d) => d.inputs.text)).toEqual(['b', 'd']);
    expect(nearestDemos(knn, [1, 1]).map((d) => d.inputs.text)).toEqual(['c', 'a']);
    expect(nearestDemos(knn, [1, 1])[0]).not.toHaveProperty('vector');
    expect(() => nearestDemos(knn, [1, 1, 1])).toThrow(/embeds in 3 dimensions .* embedded in 2/);
  });

  it('is a program artifact like any other: content-addressed by its pool, and the student drops the pool', async () => {
    const { program } = await createOptimizer({ name: 'KNNFewShot', config: { k: 2, bootstrap: false } }).compile(keywordProgram(), { trainset: trainset.slice(0, 8), lm, metric, seed: 0 });
    expect(double.requests).toHaveLength(0);
    const artifact = createArtifact(program, { parentId: null, datasetId: null, optimizer: null });
    expect(parseArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
    const pool = program.knn?.pool ?? [];
    const moved = { ...program, knn: { k: 2, pool: [{ ...pool[0], vector: unitVector([1, ...Array(12).fill(0)]) }, ...pool.slice(1)] } };
    expect(createArtifact(moved as typeof program, { parentId: null, datasetId: null, optimizer: null }).id).not.toBe(artifact.id);
    expect(() => createOptimizer({ name: 'KNNFewShot', config: { k: 0 } })).toThrow(/config\.k/);
    expect(studentOf(program)).not.toHaveProperty('knn');
  });

  it('an LM that cannot embed: compile throws, predict fails as data naming the LM', async () => {
    const noEmbed: LM = { id: 'no-embed', complete: (messages, options) => lm.complete(messages, options) };
    await expect(new KNNFewShot().compile(keywordProgram(), { trainset, lm: noEmbed, metric, seed: 0 })).rejects.toThrow(/needs an LM that can embed.*no-embed/);
    const { program } = await new KNNFewShot({ bootstrap: false }).compile(keywordProgram(), { trainset, lm, metric, seed: 0 });
    const prediction = await predict(program, holdout[0]?.inputs ?? {}, noEmbed);
    expect(prediction).toMatchObject({ ok: false, error: { kind: 'lm', message: expect.stringMatching(/needs an LM that can embed/) } });
  });

  it('the response cache keeps embeddings per text: a repeat costs no request, a new text only itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kkachi-embed-cache-'));
    try {
      const cached = new CachedLM(lm, dir);
      const first = await cached.embed?.(['text: a zorp', 'text: a glorp']);
      expect(await cached.embed?.(['text: a glorp', 'text: a zorp'])).toEqual([first?.[1], first?.[0]]);
      await cached.embed?.(['text: a zorp', 'text: a snib']);
      expect(double.embedRequests).toEqual([['text: a zorp', 'text: a glorp'], ['text: a snib']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
