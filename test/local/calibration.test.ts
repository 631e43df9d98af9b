/**
 * Contextual calibration on the real embedded model and real sentences (Amazon reviews from npm
 * `sentiment`, UCI Sentiment Labelled Sentences, CC BY 4.0): with these four demos SmolLM2 answers
 * "positive" more often than the sentences are positive; dividing out the bias measured on
 * content-free inputs moves the answers toward the true mix. (It does not always help: see
 * docs/BENCHMARKS.md, which is why optimizers keep a calibrated twin only when it scores better.)
 */
import { calibrate } from '../../src/core/calibration';
import { evaluate, type EvalReport } from '../../src/core/evaluate';
import { modelsDir } from '../../src/models/location';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import type { LM } from '../../src/core/lm/types';
import { labelAccuracy } from '../../src/core/metrics';
import { createProgram } from '../../src/core/program';
import { createRng } from '../../src/core/random';
import type { Example } from '../../src/core/types';
import { amazonSentences } from '../support/amazon';
import { describeWithModel, TEST_MODEL } from './model-available';

const sentences = amazonSentences();

const metric = labelAccuracy('sentiment');
const positives = (report: EvalReport) => report.rows.filter((r) => r.outputs?.sentiment === 'positive').length;

describeWithModel('contextual calibration (real GGUF model, real sentences)', () => {
  let lm: LM;
  beforeAll(async () => {
    lm = await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() });
  });
  afterAll(() => disposeLocalRuntimes());

  it('moves a biased few-shot program toward the true label mix, and is stored with the program', async () => {
    const pool = createRng(2).sample(sentences, 200);
    const test = createRng(1).sample(sentences.filter((e) => !pool.includes(e)), 40);
    const by = (label: string) => pool.filter((e) => e.outputs.sentiment === label);
    const [neg, pos] = [by('negative'), by('positive')];
    const demos = [neg[0], neg[1], pos[0], neg[2]].map((e) => ({ inputs: (e as Example).inputs, outputs: (e as Example).outputs }));
    const program = createProgram('text -> sentiment: positive|negative', '', { adapter: 'completion', demos });

    const calibrated = await calibrate(program, lm);
    expect(calibrated?.calibration?.contentFree).toEqual(['N/A', '', '[MASK]']);
    expect(calibrated).toMatchObject({ ...program, calibration: expect.any(Object) });
    const before = await evaluate(program, test, { lm, metric, concurrency: 1 });
    const after = await evaluate(calibrated!, test, { lm, metric, concurrency: 1 });
    const truth = test.filter((e) => e.outputs.sentiment === 'positive').length;
    console.log(`positives: truth ${truth}/${test.length}, uncalibrated ${positives(before)} (acc ${before.meanScore}), calibrated ${positives(after)} (acc ${after.meanScore})`);
    expect(Math.abs(positives(after) - truth)).toBeLessThan(Math.abs(positives(before) - truth));
    expect(after.meanScore).toBeGreaterThanOrEqual(before.meanScore);
  }, 600_000);

  it('has nothing to calibrate without a sole enum output', async () => {
    expect(await calibrate(createProgram('text -> summary', '', { adapter: 'completion' }), lm)).toBeUndefined();
  });
});
