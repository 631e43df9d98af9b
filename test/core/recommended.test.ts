/**
 * Which optimizers read the validation split to choose their program: buildDataset gives a recall
 * floor's label validation rows only for those (test/activities/dataset-split.test.ts).
 */
import { OPTIMIZER_NAMES, ranksOnValidation, recommendedOptimizer } from '../../src/core/optimizers';

it('random search and Ensemble rank on the validation split; the single-program optimizers never read it', () => {
  const ranking = OPTIMIZER_NAMES.filter((name) => name !== 'Routing' && ranksOnValidation({ name }));
  expect(ranking).toEqual(['BootstrapFewShotWithRandomSearch', 'Ensemble']);
  expect(ranksOnValidation(recommendedOptimizer('text -> label: spam|ham'))).toBe(true);
  expect(ranksOnValidation(recommendedOptimizer('question, context -> answer'))).toBe(true);
});

it('Routing ranks on it when its optimizer or one of its routes does', () => {
  const routing = (config: Record<string, unknown>) => ranksOnValidation({ name: 'Routing', config: { field: 'source', ...config } });
  expect(routing({ optimizer: { name: 'BootstrapFewShot', config: {} } })).toBe(false);
  expect(routing({ optimizer: { name: 'Ensemble', config: {} } })).toBe(true);
  expect(routing({ optimizer: { name: 'LabeledFewShot' }, routes: { imdb: { name: 'BootstrapFewShotWithRandomSearch' } } })).toBe(true);
});
