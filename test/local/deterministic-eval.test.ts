/**
 * The same program on the same rows scores the same wherever it runs: fresh, right after another
 * program, and after an optimizer's calls. The embedded model keeps the evaluated prompt prefix
 * between calls; if the tokens already in the sequence changed how the rest is computed (batch
 * shapes), greedy answers would depend on what ran before — and an A/B gate's baseline with them.
 * The flip issue 11 reported (Gemma 3 270M, 32 of 300 rows) did not reproduce with this runtime: on 100
 * Amazon rows a zero-shot program gave the same answers fresh, after a program sharing its instructions,
 * after one with other instructions, after BootstrapFewShot and in reverse order (0 flips each,
 * 2026-12-01), and a QA cycle's stored gate rows (24) matched a fresh evaluation. llama.cpp's CPU kernels
 * compute each token's row alone, so the batch a token was evaluated in does not change its values here;
 * this test guards that. (With `swaFullCache` off it still passes: these prompts fit Gemma's 512-token
 * sliding window.)
 */
import { readFileSync } from 'node:fs';
import { evaluate, type EvalRow } from '../../src/core/evaluate';
import { modelsDir } from '../../src/models/location';
import { DEFAULT_MODEL, type ModelName } from '../../src/core/lm/catalogue';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import type { LM } from '../../src/core/lm/types';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShot } from '../../src/core/optimizers';
import { createProgram } from '../../src/core/program';
import type { Example } from '../../src/core/types';
import { describeWithModel, TEST_MODEL } from './model-available';

const rows = JSON.parse(readFileSync(require.resolve('sentiment/test/fixtures/amazon.json'), 'utf8')) as { text: string; class: number | null }[];
const examples: Example[] = rows
  .filter((r) => r.class !== null && r.text.trim() !== '')
  .map((r, i) => ({ id: `amazon#${i}`, inputs: { text: r.text.trim() }, outputs: { sentiment: r.class === 1 ? 'positive' : 'negative' } }));
const devset = examples.slice(0, 24);
const trainset = examples.slice(100, 112);

const SIGNATURE = 'text -> sentiment: positive|negative';
const INSTRUCTIONS = 'Classify the sentiment of the product review.';
const zeroShot = createProgram(SIGNATURE, INSTRUCTIONS, { adapter: 'completion' });
// Same instructions, so its prompts share a prefix with the zero-shot program's.
const other = createProgram(SIGNATURE, INSTRUCTIONS, {
  adapter: 'completion',
  demos: examples.slice(200, 204).map(({ inputs, outputs }) => ({ inputs, outputs })),
});

const metric = labelAccuracy('sentiment');
// Free text is where a tiny logit difference shows: one flipped token changes the rest of the reply.
const summarize = createProgram('text -> summary', 'Summarize the product review in a few words.', { adapter: 'completion', lm: { temperature: 0, maxTokens: 24 } });
const summarizeOther = createProgram('text -> summary', 'Summarize the product review in a few words.', {
  adapter: 'completion',
  lm: { temperature: 0, maxTokens: 24 },
  demos: examples.slice(200, 203).map(({ inputs }, i) => ({ inputs, outputs: { summary: ['good value', 'broke quickly', 'works fine'][i] as string } })),
});
const anyText = () => ({ score: 1, passed: true });
const answers = (rs: readonly EvalRow[]) => rs.map((r) => [r.id, r.raw, r.outputs?.sentiment ?? null]);

// Both catalogue models: the flip was reported on the default one (Gemma 3 270M, sliding-window attention).
for (const model of [TEST_MODEL as ModelName, DEFAULT_MODEL]) {
  describeWithModel(`deterministic evaluation on the embedded model (${model})`, () => {
    let lm: LM;
    beforeAll(async () => {
      lm = await createLocalLM({ model, modelsDir: modelsDir() });
    });
    afterAll(() => disposeLocalRuntimes());

    it('scores a program identically fresh, after another program, and after an optimizer ran', async () => {
      const fresh = await evaluate(zeroShot, devset, { lm, metric });
      await evaluate(other, devset, { lm, metric });
      const afterOther = await evaluate(zeroShot, devset, { lm, metric });
      await new BootstrapFewShot({ maxBootstrappedDemos: 2, maxLabeledDemos: 2 }).compile(zeroShot, { trainset, lm, metric, seed: 0 });
      const afterOptimizer = await evaluate(zeroShot, devset, { lm, metric });
      // Reversed order: the same rows, whatever the previous example left in the sequence.
      const reversed = await evaluate(zeroShot, [...devset].reverse(), { lm, metric });

      expect(answers(afterOther.rows)).toEqual(answers(fresh.rows));
      expect(answers(afterOptimizer.rows)).toEqual(answers(fresh.rows));
      expect(answers(reversed.rows).reverse()).toEqual(answers(fresh.rows));
    }, 300_000);

    it('generates the same free text for a program fresh and after another program', async () => {
      const texts = (rs: readonly EvalRow[]) => rs.map((r) => [r.id, r.raw]);
      const fresh = await evaluate(summarize, devset, { lm, metric: anyText });
      await evaluate(summarizeOther, devset, { lm, metric: anyText });
      const afterOther = await evaluate(summarize, devset, { lm, metric: anyText });
      const reversed = await evaluate(summarize, [...devset].reverse(), { lm, metric: anyText });
      expect(texts(afterOther.rows)).toEqual(texts(fresh.rows));
      expect(texts(reversed.rows).reverse()).toEqual(texts(fresh.rows));
    }, 300_000);
  }, model);
}
