/**
 * A learner example's task spec: the shipped one (examples/<name>.task.json) with its data reference
 * pointed at disjoint slices of one seeded shuffle — train, held-out, and the users' pool — the run's LM
 * and the plan's quicker settings. Everything else (signature, metric, gate) is the example's own.
 */
import { parseSignature } from '../core/signature';
import type { DatasetRef, TaskSpecInput } from '../core/task-spec';
import type { Example } from '../core/types';
import { loadFeedbackPool, sliceRef, type DemoSplits } from './data';
import { readExampleSpec } from './plan';
import type { DemoRuntime } from './runtime';

export interface ExamplePlan {
  sizes: { train: number; holdout: number; pool: number };
  /** Merged over the shipped sections. */
  triggers?: TaskSpecInput['triggers'];
  monitoring?: TaskSpecInput['monitoring'];
  gate?: TaskSpecInput['gate'];
  /** Replace the shipped ones (a cheaper optimizer for CI, a shorter canary). */
  canary?: TaskSpecInput['canary'];
  optimizer?: TaskSpecInput['optimizer'];
}

export interface PreparedExample {
  spec: TaskSpecInput;
  /** Unseen examples for the users (none also in train or held-out). */
  pool: Example[];
}

type FileRef = Extract<DatasetRef, { path: string }>;

export async function prepareExample(specFile: string, dataFile: string, plan: ExamplePlan, runtime: DemoRuntime, seed: number): Promise<PreparedExample> {
  const base = readExampleSpec(specFile);
  const shipped = base.data?.train as FileRef | undefined;
  if (!shipped || !('path' in shipped)) throw new Error(`${specFile}: data.train must reference a file`);
  const slice = sliceRef({ path: dataFile, inputs: shipped.inputs, outputs: shipped.outputs, ...(shipped.labels && { labels: shipped.labels }) }, seed);
  const { train, holdout, pool } = plan.sizes;
  const splits: DemoSplits = { train: slice(0, train), holdout: slice(train, holdout), feedback: slice(train + holdout, pool) };
  const spec: TaskSpecInput = {
    ...base,
    name: `${base.name}${runtime.taskSuffix}`,
    lm: { ...base.lm, ...runtime.lm },
    data: { ...base.data, train: splits.train, holdout: splits.holdout },
    triggers: { ...base.triggers, ...plan.triggers },
    monitoring: { ...base.monitoring, ...plan.monitoring },
    gate: { ...base.gate, ...plan.gate },
    ...(plan.canary && { canary: plan.canary }),
    ...(plan.optimizer && { optimizer: plan.optimizer }),
  };
  return { spec, pool: await loadFeedbackPool(splits, parseSignature(spec.signature as string)) };
}
