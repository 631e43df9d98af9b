/**
 * The optimizers a task spec can name, and what a spec that names none gets. Pure (the task spec,
 * validated inside workflows, imports it).
 *
 * The recommendation is a random search, because its candidates include the zero-shot program: ranked
 * on the validation split by the gate's own measure (macro-F1 for a classification gate that asks
 * for it), it only moves away from zero-shot when the move measures better there. For classification
 * it adds label-balanced demos and calibrated twins of each candidate — contextual, batch and fitted
 * (used only where the LM can report label probabilities) — the fixes for the label bias small models
 * take from a prompt.
 * Few demos and few candidates keep prompts short and a cycle affordable on the embedded model.
 * docs/BENCHMARKS.md ("The recommended default: what backs it") lists every measurement: above
 * zero-shot on all five sets, level with BootstrapFewShot within noise on four and behind it on one, at
 * far more compile calls — it is kept for the zero-shot guard, not for a measured score advantage.
 */
import { parseSignature } from '../signature';

export const OPTIMIZER_NAMES = ['LabeledFewShot', 'BootstrapFewShot', 'BootstrapFewShotWithRandomSearch', 'Ensemble', 'KNNFewShot', 'Routing'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerChoice {
  name: OptimizerName;
  config: Record<string, unknown>;
  seed: number;
}

type OptimizerChoiceInput = { name: string; config?: Record<string, unknown> };

/** Optimizers that choose among candidates by their score on the validation split. */
const RANK_ON_VALIDATION: readonly string[] = ['BootstrapFewShotWithRandomSearch', 'Ensemble'] satisfies OptimizerName[];

/**
 * Whether an optimizer choice reads the validation split to pick its program: random search and
 * Ensemble do; Routing does when its optimizer or one of its routes' does. The others never read it,
 * so rows moved into it are only lost to training.
 */
export function ranksOnValidation(choice: OptimizerChoiceInput): boolean {
  if (RANK_ON_VALIDATION.includes(choice.name)) return true;
  if (choice.name !== 'Routing') return false;
  const { optimizer, routes } = (choice.config ?? {}) as { optimizer?: OptimizerChoiceInput; routes?: Record<string, OptimizerChoiceInput> };
  return [optimizer, ...Object.values(routes ?? {})].some((c) => c !== undefined && ranksOnValidation(c));
}

const SEARCH = { numCandidatePrograms: 4, maxBootstrappedDemos: 4, maxLabeledDemos: 4 };

/** Kkachi's recommended optimizer for a signature (an unparsable signature gets the generic choice). */
export function recommendedOptimizer(signature: string): OptimizerChoice {
  let classification = false;
  try {
    classification = parseSignature(signature).outputs.some((f) => f.type === 'enum');
  } catch {
    // The spec's own signature check reports the error.
  }
  const config = classification ? { ...SEARCH, balanceLabels: true, calibrate: true } : SEARCH;
  return { name: 'BootstrapFewShotWithRandomSearch', config, seed: 0 };
}
