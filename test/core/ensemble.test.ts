/**
 * The ensemble program kind and DSPy's Ensemble optimizer in the keyword world: voters with disjoint
 * demos each know a few keywords; together they know more, and the vote follows whoever knows.
 */
import { createArtifact, parseArtifact } from '../../src/core/artifact';
import { ensembleOf, majorityVote } from '../../src/core/ensemble';
import { evaluate } from '../../src/core/evaluate';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShotWithRandomSearch, createOptimizer, Ensemble } from '../../src/core/optimizers';
import { predict, type ProgramSpec } from '../../src/core/program';
import type { Prediction } from '../../src/core/types';
import { keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const demo = (text: string, sentiment: string) => ({ inputs: { text }, outputs: { sentiment } });
const vote = (sentiment: string): Prediction => ({ ok: true, outputs: { sentiment }, raw: sentiment, latencyMs: 10, cached: false, promptTokens: 5, completionTokens: 1 });
const winner = (votes: Prediction[]) => {
  const result = majorityVote(votes);
  return result.ok ? result.outputs.sentiment : undefined;
};

describe('ensemble programs (keyword world)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;

  beforeAll(async () => {
    // Unknown keywords get the demos' majority label, ties "negative".
    double = await startLMDouble(keywordOracle({ followMajority: true }));
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(() => double.reset());

  it('majority vote: most voters win, ties go to the earliest, failures do not vote, costs add up', () => {
    expect(winner([vote('negative'), vote('positive'), vote('positive')])).toBe('positive');
    expect(winner([vote('negative'), vote('positive')])).toBe('negative');
    const failed: Prediction = { ok: false, error: { kind: 'parse', message: 'no label' }, latencyMs: 3, cached: false, promptTokens: 5, completionTokens: 9 };
    const result = majorityVote([failed, failed, vote(' Positive ')]);
    expect(result).toMatchObject({ ok: true, outputs: { sentiment: ' Positive ' }, latencyMs: 16, promptTokens: 15, completionTokens: 19 });
    expect(majorityVote([failed, failed])).toMatchObject({ ok: false, latencyMs: 6 });
  });

  it('votes over its members: each voter misses one keyword, the vote misses none', async () => {
    const negatives = [demo('the glorp', 'negative'), demo('the daxel', 'negative')];
    const knows = (...keywords: string[]) => keywordProgram({ demos: [...keywords.map((k) => demo(`the ${k}`, 'positive')), ...negatives] });
    const voters = [knows('zorp', 'blicket'), knows('blicket', 'fribble'), knows('zorp', 'fribble')];
    const ensemble = ensembleOf(voters);
    expect(ensemble.ensemble?.members).toHaveLength(2);
    const texts = ['a zorp', 'a blicket', 'a fribble'];
    const answer = async (program: ProgramSpec, text: string) => {
      const p = await predict(program, { text }, lm);
      return p.ok ? p.outputs.sentiment : undefined;
    };
    for (const voter of voters) {
      const answers = await Promise.all(texts.map((text) => answer(voter, text)));
      expect(answers.filter((a) => a === 'positive')).toHaveLength(2);
      expect(answers.filter((a) => a === 'negative')).toHaveLength(1);
    }
    double.reset();
    for (const text of texts) expect(await answer(ensemble, text)).toBe('positive');
    expect(double.requests).toHaveLength(9);
  });

  it('is a program version like any other: the artifact round-trips with a content-hashed id', () => {
    const program = ensembleOf([keywordProgram({ demos: [demo('the zorp', 'positive')] }), keywordProgram({ demos: [demo('the glorp', 'negative')] })]);
    const artifact = createArtifact(program, { parentId: null, datasetId: null, optimizer: null });
    expect(parseArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
    const plain = createArtifact(keywordProgram(), { parentId: null, datasetId: null, optimizer: null });
    expect(artifact.id).not.toBe(plain.id);
    expect(() => ensembleOf([keywordProgram(), { ...keywordProgram(), signature: 'text -> label' }])).toThrow(/share one signature/);
  });

  it('Ensemble optimizer: the top-k distinct candidates of a random search vote, the vote scored beside them', async () => {
    const trainset = makeExamples(40, 21, { trickyRate: 0 });
    const valset = makeExamples(40, 22, { trickyRate: 0 });
    const config = { numCandidatePrograms: 6, maxBootstrappedDemos: 3, maxLabeledDemos: 3, balanceLabels: true };
    const optimizer = createOptimizer({ name: 'Ensemble', config: { size: 3, ...config } });
    expect(optimizer).toBeInstanceOf(Ensemble);
    const ctx = { trainset, valset, lm, metric, seed: 0 };
    const result = await optimizer.compile(keywordProgram(), ctx);
    const { ranked } = await new BootstrapFewShotWithRandomSearch(config).search(keywordProgram(), ctx);
    expect(result.program).toEqual(ensembleOf(ranked.slice(0, 3).map((c) => c.program)));
    const row = result.candidates.find((c) => c.label.startsWith('ensemble of'));
    expect(row?.label).toBe(`ensemble of ${ranked.slice(0, 3).map((c) => c.label).join(', ')}`);
    expect(row?.score).toBeCloseTo((await evaluate(result.program, valset, { lm, metric })).meanScore);
  });
});
