import { evaluate } from '../../src/core/evaluate';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { parseTaskSpec } from '../../src/core/task-spec';
import type { Example } from '../../src/core/types';
import { isTricky, KEYWORDS, keywordOracle, keywordProgram, keywordTaskSpec, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const demosOf = (examples: Example[]) => examples.map(({ inputs, outputs }) => ({ inputs, outputs }));
const flip = (e: Example) => (e.outputs.sentiment === 'positive' ? 'negative' : 'positive');
const share = (examples: Example[], keep: (e: Example) => boolean) => examples.filter(keep).length / examples.length;

describe('keyword world', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;

  beforeAll(async () => {
    double = await startLMDouble(keywordOracle());
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());

  it('makes seeded examples with exactly one keyword, its label, unique texts and a few tricky ones', () => {
    const examples = makeExamples(40, 7);
    expect(makeExamples(40, 7)).toEqual(examples);
    expect(makeExamples(40, 8)).not.toEqual(examples);
    for (const { inputs, outputs } of examples) {
      const found = Object.keys(KEYWORDS).filter((k) => new RegExp(`\\b${k}\\b`).test(String(inputs.text)));
      expect(found).toHaveLength(1);
      expect(outputs.sentiment).toBe(KEYWORDS[found[0] as string]);
    }
    expect(new Set(examples.map((e) => e.inputs.text)).size).toBe(40);
    expect(examples.filter(isTricky)).toHaveLength(4);
  });

  it.each(['chat', 'completion'] as const)('answers the default label zero-shot and copies demo labels (%s adapter)', async (adapter) => {
    const train = makeExamples(48, 1, { trickyRate: 0 });
    const val = makeExamples(40, 2);
    const zeroShot = await evaluate(keywordProgram({ adapter }), val, { lm, metric });
    expect(zeroShot.rows.map((r) => r.outputs?.sentiment)).toEqual(val.map((e) => (isTricky(e) ? flip(e) : 'negative')));
    expect(zeroShot.meanScore).toBeCloseTo(share(val, (e) => !isTricky(e) && e.outputs.sentiment === 'negative'));

    // 48 demos cover all 12 keywords, so only tricky examples stay wrong.
    const fewShot = await evaluate(keywordProgram({ adapter, demos: demosOf(train) }), val, { lm, metric });
    expect(fewShot.meanScore).toBeCloseTo(share(val, (e) => !isTricky(e)));
    expect(fewShot.rows.map((r) => r.outputs?.sentiment)).toEqual(val.map((e) => (isTricky(e) ? flip(e) : e.outputs.sentiment)));
  });

  it('honours a configured default label', async () => {
    double.setHandler(keywordOracle({ defaultLabel: 'positive' }));
    const val = makeExamples(20, 3);
    const report = await evaluate(keywordProgram(), val, { lm, metric });
    expect(report.rows.map((r) => r.outputs?.sentiment)).toEqual(val.map((e) => (isTricky(e) ? flip(e) : 'positive')));
    double.setHandler(keywordOracle());
  });

  it('builds a valid task spec', () => {
    const spec = parseTaskSpec(keywordTaskSpec({ baseURL: double.baseURL }));
    expect(spec.data.train).toMatchObject({ examples: expect.arrayContaining([expect.objectContaining({ id: 'kw-1-0' })]) });
  });
});
