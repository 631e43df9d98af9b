/**
 * Label-bias calibration over an OpenAI-compatible endpoint: the provider asks for `logprobs` and
 * reads the labels from the answer token's top log-probabilities. The keyword-world model behind the
 * HTTP double reports its own label probabilities (sure with a demo for the keyword, a 0.7 lean to its
 * default label when it guesses), so the calibrations must carry exactly that lean.
 */
import { calibrate } from '../../src/core/calibration';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { ensembleOf } from '../../src/core/ensemble';
import { BootstrapFewShotWithRandomSearch, Ensemble } from '../../src/core/optimizers';
import { predict, type ProgramSpec } from '../../src/core/program';
import { KEYWORD_CONFIDENCE, keywordModel, keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const search = () => new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 0, maxBootstrappedDemos: 2, maxLabeledDemos: 2, calibrate: true });
const twinsOf = (labels: string[]) => labels.filter((l) => /\+(calibrated|batch|fitted)$/.test(l));
/** One demo per label: the model is sure about zorp (positive) and glorp (negative) and guesses otherwise. */
const twoDemos = keywordProgram({
  demos: [
    { inputs: { text: 'Review A: We tried the zorp at the weekend.' }, outputs: { sentiment: 'positive' } },
    { inputs: { text: 'Review B: We tried the glorp at the weekend.' }, outputs: { sentiment: 'negative' } },
  ],
});

describe('calibration over an OpenAI-compatible endpoint (the HTTP double)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  beforeAll(async () => {
    double = await startLMDouble(keywordModel());
    lm = new OpenAICompatibleLM({ model: 'keyword-model', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(() => {
    double.reset();
    double.setHandler(keywordModel());
  });

  it('estimates the contextual prior from the label probabilities the endpoint reports', async () => {
    const calibrated = await calibrate(twoDemos, lm);
    // Content-free inputs name no keyword: the model guesses its default label, negative, at 0.7.
    expect(calibrated?.calibration).toEqual({
      contentFree: ['N/A', '', '[MASK]'],
      logPrior: { positive: expect.closeTo(Math.log(1 - KEYWORD_CONFIDENCE.guess), 10), negative: expect.closeTo(Math.log(KEYWORD_CONFIDENCE.guess), 10) },
    });
    expect(double.requests.map((r) => [r.body.logprobs, r.body.top_logprobs])).toEqual([[true, 20], [true, 20], [true, 20]]);

    // A calibrated program answers argmax(log p − logPrior) over HTTP: sure answers survive the prior.
    const sure = await predict(calibrated!, { text: 'Review C: My neighbour keeps talking about the zorp.' }, lm);
    expect(sure).toMatchObject({ ok: true, outputs: { sentiment: 'positive' } });
    const sureNegative = await predict(calibrated!, { text: 'Review D: The glorp arrived on Tuesday.' }, lm);
    expect(sureNegative).toMatchObject({ ok: true, outputs: { sentiment: 'negative' } });
  });

  it('Ensemble: one voter per prompt, each its best variant, never two twins of one prompt', async () => {
    const ctx = { trainset: makeExamples(12, 1), valset: makeExamples(10, 2), lm, metric, seed: 0 };
    const { ranked } = await search().search(keywordProgram(), ctx);
    const promptOf = ({ calibration: _calibration, ...prompt }: ProgramSpec) => JSON.stringify(prompt);
    const bestPerPrompt = ranked.filter((c, i) => ranked.findIndex((d) => promptOf(d.program) === promptOf(c.program)) === i);
    expect(bestPerPrompt.length).toBeLessThan(ranked.length); // the twins are there to be skipped
    const result = await new Ensemble({ numCandidatePrograms: 0, maxBootstrappedDemos: 2, maxLabeledDemos: 2, calibrate: true, size: 3 }).compile(keywordProgram(), ctx);
    expect(result.program).toEqual(ensembleOf(bestPerPrompt.slice(0, 3).map((c) => c.program)));
  });

  it('gives random search calibrated twins of each candidate', async () => {
    const result = await search().compile(keywordProgram(), { trainset: makeExamples(12, 1), valset: makeExamples(10, 2), lm, metric, seed: 0 });
    const labels = result.candidates.map((c) => c.label);
    for (const base of ['zero-shot', 'labeled-only', 'bootstrap-unshuffled']) {
      expect(labels).toEqual(expect.arrayContaining([`${base}+calibrated`, `${base}+batch`, `${base}+fitted`]));
    }
    // Whichever won predicts over the same endpoint.
    expect(await predict(result.program, { text: 'Review E: Honestly, the zorp was something else.' }, lm)).toMatchObject({ ok: true });
  });

  it('calibrates nothing when the endpoint refuses logprobs, and says so for a calibrated program', async () => {
    const calibrated = await calibrate(twoDemos, lm);
    // As OpenAI's reasoning models: a 400 naming logprobs; the provider asks again without them.
    const oracle = keywordOracle();
    const refusal = { error: { message: "Unsupported parameter: 'logprobs' is not supported with this model.", type: 'invalid_request_error', param: 'logprobs' } };
    double.setHandler((req) => (req.body.logprobs ? { status: 400, body: refusal } : oracle(req)));
    const refused = new OpenAICompatibleLM({ model: 'keyword-model', baseURL: double.baseURL, retry: 'off' });
    expect(await calibrate(twoDemos, refused)).toBeUndefined();
    const result = await search().compile(keywordProgram(), { trainset: makeExamples(12, 1), valset: makeExamples(10, 2), lm: refused, metric, seed: 0 });
    expect(twinsOf(result.candidates.map((c) => c.label))).toEqual([]);
    const prediction = await predict(calibrated!, { text: 'Review F: We tried the zorp at the weekend.' }, refused);
    expect(prediction).toMatchObject({ ok: false, error: { kind: 'lm', retryable: false } });
    expect(!prediction.ok && prediction.error.message).toMatch(/needs an LM that reports label probabilities.*openai:keyword-model@127\.0\.0\.1:\d+ did not/);
  });
});
