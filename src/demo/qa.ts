/**
 * `kkachi demo --example qa`: extractive question answering through the production rollout. The
 * shipped spec (examples/qa.task.json: token F1, a live canary and a monitoring window) runs on the
 * SQuAD v1.1 rows vendored in examples/data (see its NOTICE). A user accepts an answer that covers
 * the gold one well enough (token F1 ≥ 0.5, the metric's pass mark) and otherwise sends the gold
 * answer. Once a version is promoted, a simulated regression makes its users correct every answer
 * that is not a gold one word for word: the rollout's monitoring window must see live accuracy fall
 * and roll the version back by itself.
 */
import * as path from 'node:path';
import { tokenF1 } from '../core/metrics';
import type { Example, Fields } from '../core/types';
import { prepareExample, type ExamplePlan } from './example-spec';
import type { LearnerExample } from './learner-run';
import type { DemoRuntime } from './runtime';
import type { Judge } from './simulator';

const ROOT = path.resolve(__dirname, '..', '..');
export const QA_SPEC = path.join(ROOT, 'examples', 'qa.task.json');
export const QA_FILE = path.join(ROOT, 'examples', 'data', 'squad-sample.jsonl');
const SEED = 7;

interface QaPlan extends ExamplePlan {
  /** The run stops after this many cycles even without a promotion. */
  maxCycles: number;
}

const PLANS: Record<'quick' | 'full', QaPlan> = {
  full: {
    sizes: { train: 40, holdout: 100, pool: 96 },
    triggers: { corrections: 8 },
    canary: { share: 0.5, window: 60_000, minSamples: 8 },
    monitoring: { window: 60_000, minSamples: 10 },
    maxCycles: 3,
  },
  quick: {
    sizes: { train: 16, holdout: 24, pool: 80 },
    triggers: { corrections: 4 },
    canary: { share: 0.5, window: 40_000, minSamples: 2 },
    // Users are slow on a shared CPU: the window stays open until 5 records arrive (at most 4 minutes).
    monitoring: { window: 20_000, maxWindow: 240_000, minSamples: 5 },
    maxCycles: 2,
    // 24 held-out rows cannot show a +12-point F1 gain at p < 0.05 reliably (p ≈ 0.1 measured); the quick
    // run exists to walk gate → canary → monitoring → rollback, so it gates at 0.2 and says so in the reason.
    gate: { alpha: 0.2 },
    optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 2, maxLabeledDemos: 2, maxRounds: 1 }, seed: 0 },
  },
};

/** The first gold alternative: what a user types as the right answer. */
function goldAnswer(example: Example): Fields {
  const gold = example.outputs.answer;
  return { answer: Array.isArray(gold) ? (gold[0] as string) : (gold as string) };
}

/** Accepts an answer the metric passes, else sends the gold answer. */
const fairUser: Judge = (example, predicted) => (tokenF1('answer')(example, predicted).passed ? predicted : goldAnswer(example));
/** The simulated regression: only a gold answer word for word is accepted; anything else is corrected to it. */
const strictUser: Judge = (example, predicted) => {
  const gold = example.outputs.answer;
  return (Array.isArray(gold) ? gold : [gold]).includes(predicted.answer as string) ? predicted : goldAnswer(example);
};

export async function qaExample(mode: 'quick' | 'full', runtime: DemoRuntime): Promise<LearnerExample> {
  const plan = PLANS[mode];
  const { spec, pool } = await prepareExample(QA_SPEC, QA_FILE, plan, runtime, SEED);
  return {
    example: 'qa',
    mode,
    spec,
    pool,
    data: { source: `SQuAD v1.1 (CC BY-SA 4.0), ${path.relative(ROOT, QA_FILE)}`, train: plan.sizes.train, holdout: plan.sizes.holdout },
    judge: fairUser,
    regression: { description: 'from now on its users accept only a gold answer word for word and correct everything else', judge: strictUser },
    finished: (cycles) => {
      const done = cycles.filter((c) => c.decision !== 'running');
      return done.some((c) => c.decision === 'rolled-back' || c.decision === 'promoted') || done.length >= plan.maxCycles;
    },
  };
}
