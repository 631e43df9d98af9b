/** The optimizers by name, as a task spec selects them. */
import { z } from 'zod';
import { parseOrThrow } from '../errors';
import { BootstrapFewShot } from './bootstrap-few-shot';
import { Ensemble } from './ensemble';
import { KNNFewShot } from './knn-few-shot';
import { Routing } from './routing';
import { LabeledFewShot } from './labeled-few-shot';
import { BootstrapFewShotWithRandomSearch } from './random-search';
import { OPTIMIZER_NAMES, type OptimizerName } from './recommended';
import type { Optimizer } from './types';

export * from './types';
export { OPTIMIZER_NAMES, ranksOnValidation, recommendedOptimizer, type OptimizerChoice, type OptimizerName } from './recommended';
export { BootstrapFewShot, bootstrapFewShotConfigSchema, TeacherErrorBudgetExceeded, type BootstrapFewShotConfig } from './bootstrap-few-shot';
export { LabeledFewShot, labeledDemos, labeledFewShotConfigSchema, type LabeledFewShotConfig } from './labeled-few-shot';
export { BootstrapFewShotWithRandomSearch, randomSearchConfigSchema, type RandomSearchConfig } from './random-search';
export { Ensemble, ensembleConfigSchema, type EnsembleConfig } from './ensemble';
export { KNNFewShot, knnFewShotConfigSchema, type KNNFewShotConfig } from './knn-few-shot';
export { Routing, routingConfigSchema, type RoutingConfig } from './routing';

const OPTIMIZERS: Record<OptimizerName, (config: unknown) => Optimizer> = {
  LabeledFewShot: (config: unknown) => new LabeledFewShot(config as object),
  BootstrapFewShot: (config: unknown) => new BootstrapFewShot(config as object),
  BootstrapFewShotWithRandomSearch: (config: unknown) => new BootstrapFewShotWithRandomSearch(config as object),
  Ensemble: (config: unknown) => new Ensemble(config as object),
  KNNFewShot: (config: unknown) => new KNNFewShot(config as object),
  Routing: (config: unknown) => new Routing(config ?? {}, createOptimizer),
};

const optimizerChoiceSchema = z.object({
  name: z.enum(OPTIMIZER_NAMES),
  config: z.unknown().optional(),
});

/** An optimizer from its name and config; a bad config throws a ValidationError naming the field (`config.maxRounds`). */
export function createOptimizer(choice: { name: string; config?: unknown }): Optimizer {
  const { name, config } = parseOrThrow(optimizerChoiceSchema, choice);
  return OPTIMIZERS[name](config ?? {});
}
