/**
 * KNN demo selection on the real embedded model: node-llama-cpp embeds with the same GGUF that
 * answers, and a KNNFewShot program answers real sentences (Amazon reviews from npm `sentiment`,
 * UCI Sentiment Labelled Sentences, CC BY 4.0) with demos chosen per sentence.
 */
import { evaluate } from '../../src/core/evaluate';
import { knnText, nearestDemos } from '../../src/core/knn';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import type { LM } from '../../src/core/lm/types';
import { labelAccuracy } from '../../src/core/metrics';
import { KNNFewShot } from '../../src/core/optimizers';
import { createProgram } from '../../src/core/program';
import { createRng } from '../../src/core/random';
import { modelsDir } from '../../src/models/location';
import { amazonSentences } from '../support/amazon';
import { describeWithModel, TEST_MODEL } from './model-available';

const sentences = amazonSentences();

describeWithModel('KNN demos on the embedded model (real GGUF, real sentences)', () => {
  let lm: LM;
  beforeAll(async () => {
    lm = await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() });
  });
  afterAll(() => disposeLocalRuntimes());

  it('embeds with the model itself: one vector per text, the same text the same vector', async () => {
    const texts = ['text: Great phone, I love it.', 'text: It broke after a day.', 'text: Great phone, I love it.'];
    const vectors = (await lm.embed?.(texts)) ?? [];
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(576); // SmolLM2-135M's hidden size
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
  });

  it('a KNNFewShot program answers with the pool demos nearest each sentence', async () => {
    const [train, test] = [createRng(3).sample(sentences, 40), createRng(4).sample(sentences, 52).slice(40)];
    const student = createProgram('text -> sentiment: positive|negative', '', { adapter: 'completion', lm: { maxTokens: 8 } });
    const { program } = await new KNNFewShot({ k: 4, bootstrap: false }).compile(student, { trainset: train, lm, metric: labelAccuracy('sentiment'), seed: 0 });
    expect(program.knn?.pool).toHaveLength(40);
    // A sentence from the pool is its own nearest neighbour.
    const [self] = (await lm.embed?.([knnText(train[5]?.inputs ?? {}, ['text'])])) ?? [];
    expect(nearestDemos(program.knn as NonNullable<typeof program.knn>, self ?? [])[0]?.inputs).toEqual(train[5]?.inputs);
    const report = await evaluate(program, test, { lm, metric: labelAccuracy('sentiment'), concurrency: 1 });
    expect(report.usage.errors).toBe(0);
    expect(report.rows.every((r) => r.outputs?.sentiment === 'positive' || r.outputs?.sentiment === 'negative')).toBe(true);
  });
});
