import { ValidationError } from '../../src/core/errors';
import { createOptimizer, LabeledFewShot } from '../../src/core/optimizers';
import type { Example } from '../../src/core/types';
import { keywordProgram, makeExamples } from '../support/keyword-world';

const trainset = makeExamples(20, 1);
const texts = (demos: { inputs: Example['inputs'] }[]) => demos.map((d) => d.inputs.text);

describe('LabeledFewShot', () => {
  it('samples k distinct labelled examples, seeded', async () => {
    const { program, candidates, traces } = await new LabeledFewShot({ k: 5 }).compile(keywordProgram(), { trainset, seed: 3 });
    expect(program.demos).toHaveLength(5);
    expect(new Set(texts(program.demos)).size).toBe(5);
    for (const demo of program.demos) {
      expect(trainset).toContainEqual(expect.objectContaining({ inputs: demo.inputs, outputs: demo.outputs }));
      expect(demo.augmented).toBeUndefined();
    }
    expect(candidates).toEqual([]);
    expect(traces).toBe(0);

    const again = await new LabeledFewShot({ k: 5 }).compile(keywordProgram(), { trainset, seed: 3 });
    expect(again.program).toEqual(program);
    const otherSeeds = await Promise.all([4, 5, 6].map((seed) => new LabeledFewShot({ k: 5 }).compile(keywordProgram(), { trainset, seed })));
    expect(otherSeeds.some((r) => JSON.stringify(texts(r.program.demos)) !== JSON.stringify(texts(program.demos)))).toBe(true);
  });

  it('takes the first k in order without sampling, and all examples when k exceeds them', async () => {
    const first = await new LabeledFewShot({ k: 4, sample: false }).compile(keywordProgram(), { trainset, seed: 0 });
    expect(texts(first.program.demos)).toEqual(texts(trainset.slice(0, 4)));
    const all = await new LabeledFewShot({ k: 30 }).compile(keywordProgram(), { trainset, seed: 0 });
    expect(all.program.demos).toHaveLength(20);
    expect((await new LabeledFewShot().compile(keywordProgram(), { trainset, seed: 0 })).program.demos).toHaveLength(16);
  });

  it('replaces the student demos and keeps the rest of the program', async () => {
    const student = keywordProgram({ instructions: 'Be brief.', demos: [{ inputs: { text: 'old' }, outputs: { sentiment: 'positive' } }] });
    const { program } = await new LabeledFewShot({ k: 2 }).compile(student, { trainset, seed: 0 });
    expect(texts(program.demos)).not.toContain('old');
    expect({ ...program, demos: [] }).toEqual({ ...student, demos: [] });
  });
});

describe('createOptimizer', () => {
  it('builds each optimizer by name with defaults filled in', () => {
    expect(createOptimizer({ name: 'LabeledFewShot', config: { k: 3 } })).toMatchObject({ name: 'LabeledFewShot', config: { k: 3, sample: true } });
    expect(createOptimizer({ name: 'BootstrapFewShot' }).config).toEqual({ maxBootstrappedDemos: 4, maxLabeledDemos: 16, maxRounds: 1, maxErrors: 10 });
    expect(createOptimizer({ name: 'BootstrapFewShotWithRandomSearch', config: {} }).config).toMatchObject({ numCandidatePrograms: 16, maxBootstrappedDemos: 4 });
  });

  it.each([
    [{ name: 'LabeledFewShot', config: { k: -1 } }, 'config.k'],
    [{ name: 'BootstrapFewShot', config: { maxRounds: 0 } }, 'config.maxRounds'],
    [{ name: 'BootstrapFewShot', config: { maxBootstrapedDemos: 2 } }, 'config.maxBootstrapedDemos'],
    [{ name: 'BootstrapFewShotWithRandomSearch', config: { numCandidatePrograms: 'many' } }, 'config.numCandidatePrograms'],
    [{ name: 'MIPRO', config: {} }, 'name'],
  ])('rejects %j naming the field', (choice, field) => {
    expect(() => createOptimizer(choice)).toThrow(ValidationError);
    expect(() => createOptimizer(choice)).toThrow(new RegExp(`^${field.replace('.', '\\.')}:`));
  });
});
