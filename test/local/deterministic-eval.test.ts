/**
 * The same program on the same rows scores the same wherever it runs: fresh, right after another
 * program, after an optimizer's calls, and right after itself. The embedded model keeps the evaluated
 * prompt prefix between calls, so what a sequence held before decides which tokens are evaluated and
 * in which batches — and llama.cpp's CPU kernels give a token slightly different numbers by the batch it
 * is in (a repacked quantized matmul takes rows four at a time, the rest one by one). The runtime
 * therefore evaluates prompts in chunks aligned to fixed positions (EVALUATION_CHUNK in
 * local-runtime.ts). Measured 2026-12-02 on Gemma 3 270M (2 shared cores):
 * - Short prompts (the first two tests, 24 Amazon reviews) pass with and without the aligned chunks: a
 *   greedy label or 24 tokens of text survive the difference, so they cannot catch it.
 * - The long-prompt test (spam e-mails after a ~950-token demo prefix, ~1,260 tokens a prompt, past
 *   Gemma's 512-token sliding window) compares each label's log-probability, exactly. Without the aligned
 *   chunks it fails (log-probabilities off by up to 0.23 after another program or right after the same
 *   prompt); with `swaFullCache` off it fails (all 4 rows off right after themselves: the sliding-window
 *   cache then holds ~1,280 cells, so a longer prompt overwrites cells a reused prefix still needs); with
 *   prompts of 700–1,100 tokens `swaFullCache` off went unnoticed, hence the length. In a free-text run of this kind 1 of 6 summaries changed words without
 *   the chunks. The chunks hold only with one sequence per context (the default): node-llama-cpp
 *   batches several sequences' tokens together.
 * Time at load 2–3 on 2 cores: the long case 62 s on Gemma (run on the default model only; on SmolLM2
 * it took ~50 s more); the whole file took 272 s with it on both models, over the 60 s per model asked.
 */
import { readFileSync } from 'node:fs';
import { loadSpamCorpus } from '../../src/demo/spam-data';
import { evaluate, type EvalRow } from '../../src/core/evaluate';
import { modelsDir } from '../../src/models/location';
import { DEFAULT_MODEL, type ModelName } from '../../src/core/lm/catalogue';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import type { ChatMessage, CompletionOptions, LM } from '../../src/core/lm/types';
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

/**
 * Long prompts: e-mails after a demo prefix of ~950 tokens (two long e-mails, one short), so each call
 * reuses a prefix longer than Gemma's 512-token sliding window. Short and long e-mails alternate, so
 * what a sequence holds beyond the shared prefix varies call to call.
 */
const SPAM_SIGNATURE = 'email -> label: spam|ham';
const SPAM_INSTRUCTIONS = 'Is this e-mail spam (unsolicited bulk mail) or ham (mail the recipient wants)?';
const LONG_EMAIL_CHARS = 1600;
async function longPromptCase() {
  const emails = (await loadSpamCorpus(LONG_EMAIL_CHARS)).map((r): Example => ({ id: r.id, inputs: { email: r.email }, outputs: { label: r.label } }));
  const short = emails.filter((e) => String(e.inputs.email).length < 400);
  const long = emails.filter((e) => String(e.inputs.email).length >= LONG_EMAIL_CHARS - 100);
  const demos = (from: number) => [long[from], long[from + 1], short[from]].map((e) => ({ inputs: (e as Example).inputs, outputs: (e as Example).outputs }));
  return {
    rows: [short[0], long[0], short[50], long[40]] as Example[],
    program: createProgram(SPAM_SIGNATURE, SPAM_INSTRUCTIONS, { adapter: 'completion', demos: demos(200) }),
    // Same instructions, other demos: it shares only the instructions with `program`.
    other: createProgram(SPAM_SIGNATURE, SPAM_INSTRUCTIONS, { adapter: 'completion', demos: demos(300) }),
  };
}

/**
 * The embedded LM asked for each label's log-probability on every call, recorded per prompt: a greedy
 * label survives small differences in the model's numbers, its log-probability does not.
 */
function scoringLabels(inner: LM): { lm: LM; logProbs: Map<string, number[]> } {
  const logProbs = new Map<string, number[]>();
  const lm: LM = {
    id: inner.id,
    async complete(messages: ChatMessage[], options: CompletionOptions = {}) {
      const completion = await inner.complete(messages, { ...options, scoreChoices: true });
      logProbs.set(JSON.stringify(messages), completion.choiceLogProbs ?? []);
      return completion;
    },
  };
  return { lm, logProbs };
}

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

    // The default model only: it has the sliding window, and the case costs a minute of CI per model.
    const onSlidingWindowModel = model === DEFAULT_MODEL ? it : it.skip;
    onSlidingWindowModel('scores prompts longer than the sliding window identically fresh, after another program and right after themselves', async () => {
      const { rows: emailRows, program, other } = await longPromptCase();
      const spamMetric = labelAccuracy('label');
      const run = async (p: typeof program, rs: Example[]) => {
        const scoring = scoringLabels(lm);
        const report = await evaluate(p, rs, { lm: scoring.lm, metric: spamMetric });
        return { rows: report.rows.map((r) => [r.id, r.raw]), logProbs: [...scoring.logProbs.entries()].sort(), promptTokens: report.usage.promptTokens / rs.length };
      };
      const fresh = await run(program, emailRows);
      await run(other, emailRows);
      const afterOther = await run(program, emailRows);
      // Each row right after itself: the sequence holds its whole prompt, so the least is evaluated again.
      const repeated = await run(program, emailRows.flatMap((row) => [row, { ...row, id: `${row.id}#again` }]));

      expect(fresh.promptTokens).toBeGreaterThan(1000);
      expect(afterOther).toEqual(fresh);
      expect(repeated.promptTokens).toBe(fresh.promptTokens);
      expect(repeated.logProbs).toEqual(fresh.logProbs);
      expect(repeated.rows.filter((_, i) => i % 2 === 1).map(([id, raw]) => [id?.replace(/#again$/, ''), raw])).toEqual(fresh.rows);
    }, 300_000);
  }, model);
}
