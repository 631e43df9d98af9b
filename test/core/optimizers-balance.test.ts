/**
 * Label-balanced demo selection and measure-ranked random search in the keyword world, with a model
 * that takes on its prompt's majority label (as small models do) and an imbalanced trainset (80%
 * negative): first-N-passing selection hands the model a negative majority; balancing does not.
 */
import { evaluate, type EvalReport } from '../../src/core/evaluate';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShot, BootstrapFewShotWithRandomSearch, LabeledFewShot } from '../../src/core/optimizers';
import type { ProgramSpec } from '../../src/core/program';
import type { Demo, Example } from '../../src/core/types';
import { keywordOracle, keywordProgram, makeExamples, type Label } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const student = keywordProgram();
const labelOf = (d: Demo | Example) => d.outputs.sentiment as Label;
const countLabel = (demos: readonly Demo[], label: Label) => demos.filter((d) => labelOf(d) === label).length;

/** `negatives` negative and `positives` positive examples from one seeded pool, in pool order. */
function imbalanced(negatives: number, positives: number, seed: number): Example[] {
  const pool = makeExamples(400, seed, { trickyRate: 0 });
  const neg = pool.filter((e) => labelOf(e) === 'negative').slice(0, negatives);
  const pos = pool.filter((e) => labelOf(e) === 'positive').slice(0, positives);
  return pool.filter((e) => neg.includes(e) || pos.includes(e));
}

/** Macro-F1 over the two labels from a report's rows (local stand-in until core's classification metrics land). */
function macroF1(examples: readonly Example[]) {
  return (report: EvalReport): number => {
    const f1s = (['positive', 'negative'] as const).map((label) => {
      const predicted = report.rows.filter((r) => r.outputs?.sentiment === label).length;
      const gold = examples.filter((e) => labelOf(e) === label).length;
      const hit = report.rows.filter((r, i) => r.outputs?.sentiment === label && labelOf(examples[i] as Example) === label).length;
      return hit === 0 ? 0 : (2 * hit) / (predicted + gold);
    });
    return f1s.reduce((a, b) => a + b, 0) / f1s.length;
  };
}

describe('label-balanced demos (keyword world, majority-following model)', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  const trainset = imbalanced(32, 8, 11);
  const holdout = makeExamples(80, 12, { trickyRate: 0 });
  const holdoutF1 = async (program: ProgramSpec) => macroF1(holdout)(await evaluate(program, holdout, { lm, metric }));

  beforeAll(async () => {
    double = await startLMDouble(keywordOracle({ followMajority: true }));
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());

  it('LabeledFewShot: balanceLabels takes equal labels, interleaved, where DSPy sampling follows the trainset', async () => {
    const dspy = await new LabeledFewShot({ k: 8 }).compile(student, { trainset, seed: 0 });
    const balanced = await new LabeledFewShot({ k: 8, balanceLabels: true }).compile(student, { trainset, seed: 0 });
    expect(countLabel(balanced.program.demos, 'positive')).toBe(4);
    expect(balanced.program.demos.map(labelOf)).toEqual(['positive', 'negative', 'positive', 'negative', 'positive', 'negative', 'positive', 'negative']);
    expect(countLabel(dspy.program.demos, 'positive')).toBeLessThan(4);
    expect(await holdoutF1(balanced.program)).toBeGreaterThan(await holdoutF1(dspy.program) + 0.1);
  });

  it('BootstrapFewShot: balanceLabels caps each label at its share of traces and balances the top-up', async () => {
    const config = { maxBootstrappedDemos: 4, maxLabeledDemos: 6 };
    const dspy = await new BootstrapFewShot(config).compile(student, { trainset, lm, metric, seed: 0 });
    const balanced = await new BootstrapFewShot({ ...config, balanceLabels: true }).compile(student, { trainset, lm, metric, seed: 0 });
    const augmented = balanced.program.demos.filter((d) => d.augmented);
    expect(augmented).toHaveLength(4);
    expect(countLabel(augmented, 'positive')).toBe(2);
    expect(countLabel(balanced.program.demos, 'positive')).toBe(3);
    expect(countLabel(dspy.program.demos, 'positive')).toBeLessThan(3);
    expect(await holdoutF1(balanced.program)).toBeGreaterThan(await holdoutF1(dspy.program) + 0.1);
  });

  it('leaves a signature without an enum output to the unbalanced rules', async () => {
    const qa = { ...student, signature: 'text -> sentiment' };
    const plain = await new LabeledFewShot({ k: 5 }).compile(qa, { trainset, seed: 3 });
    const balanced = await new LabeledFewShot({ k: 5, balanceLabels: true }).compile(qa, { trainset, seed: 3 });
    expect(balanced.program.demos).toHaveLength(5);
    expect(new Set(balanced.program.demos.map((d) => d.inputs.text)).size).toBe(5);
    expect(plain.program.demos).toHaveLength(5);
  });

  it('random search ranks candidates by the task measure: macro-F1 refuses the lopsided winner of accuracy', async () => {
    // A rare positive class (8% of val and test): zero-shot always answers "negative" and wins on
    // accuracy; macro-F1 prefers a candidate that finds positives at the cost of a few negatives.
    const train = imbalanced(12, 28, 21);
    const valset = imbalanced(36, 3, 13);
    const test = imbalanced(90, 8, 14);
    const search = new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 2, maxBootstrappedDemos: 4, maxLabeledDemos: 16 });
    const ctx = { trainset: train, valset, lm, metric, seed: 0 };
    const byAccuracy = await search.compile(student, ctx);
    const byF1 = await search.compile(student, { ...ctx, score: macroF1(valset) });
    const testF1 = async (program: ProgramSpec) => macroF1(test)(await evaluate(program, test, { lm, metric }));
    expect(byAccuracy.candidates[0]?.label).toBe('zero-shot');
    expect(byF1.candidates[0]?.label).not.toBe('zero-shot');
    expect(await testF1(byF1.program)).toBeGreaterThan((await testF1(byAccuracy.program)) + 0.1);
  });
});
