/**
 * The demo's two sizes and the task spec it runs: the shipped sentiment example, pointed at the demo's
 * data slices and the embedded model, with feedback stages and a monitoring window short enough to
 * watch. Everything else (signature, instructions, optimizer, gate) is the example's own.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { LMConfig } from '../core/lm/factory';
import { parseSignature } from '../core/signature';
import { parseTaskSpec, type TaskSpec, type TaskSpecInput } from '../core/task-spec';
import { demoSplits, type DemoSplits, type SplitSizes } from './data';

export const EXAMPLE_SPEC = path.resolve(__dirname, '..', '..', 'examples', 'sentiment.task.json');

export interface DemoPlan {
  mode: 'quick' | 'full';
  sizes: SplitSizes;
  /** Seed of the data shuffle (fixed: every run reports on the same rows). */
  dataSeed: number;
  /** Corrections each feedback stage (1 and 4) waits for. */
  feedbackPerStage: number;
  /** A feedback stage moves on after this long even without enough corrections. */
  feedbackTimeoutMs: number;
  /** Stage 7's monitoring window after a promotion, and the live samples it needs to judge. */
  monitoringWindowMs: number;
  monitoringMinSamples: number;
  /** Pace of the simulated users while a promoted version is monitored. */
  monitoringUsersPerSecond: number;
}

export const PLANS: Record<DemoPlan['mode'], DemoPlan> = {
  full: {
    mode: 'full',
    sizes: { train: 80, holdout: 300, feedback: 500 },
    dataSeed: 7,
    feedbackPerStage: 8,
    feedbackTimeoutMs: 5 * 60_000,
    monitoringWindowMs: 30_000,
    monitoringMinSamples: 15,
    monitoringUsersPerSecond: 2,
  },
  quick: {
    mode: 'quick',
    sizes: { train: 30, holdout: 100, feedback: 250 },
    dataSeed: 7,
    feedbackPerStage: 3,
    feedbackTimeoutMs: 3 * 60_000,
    monitoringWindowMs: 12_000,
    monitoringMinSamples: 8,
    monitoringUsersPerSecond: 2,
  },
};

/** The example spec with the demo's data, LM and timings; validated like any spec. */
/** `nameSuffix` keeps one run's task apart from earlier runs' in a store that outlives the run. */
export function demoSpec(
  plan: DemoPlan,
  lm: LMConfig,
  base: TaskSpecInput = readExampleSpec(EXAMPLE_SPEC),
  nameSuffix = '',
): { spec: TaskSpec; raw: TaskSpecInput; splits: DemoSplits } {
  const outputField = outputFieldOf(base);
  const splits = demoSplits(plan.sizes, plan.dataSeed, outputField);
  const raw: TaskSpecInput = {
    ...base,
    name: `${base.name}${nameSuffix}`,
    lm: { ...base.lm, ...lm },
    data: { ...base.data, train: splits.train, holdout: splits.holdout },
    monitoring: { ...base.monitoring, window: plan.monitoringWindowMs, minSamples: plan.monitoringMinSamples },
  };
  return { spec: parseTaskSpec(raw), raw, splits };
}

/** A shipped example spec (examples/*.task.json), as written. */
export function readExampleSpec(file: string): TaskSpecInput {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TaskSpecInput;
  } catch (err) {
    throw new Error(`cannot read the demo's task spec ${file}: ${(err as Error).message}`);
  }
}

/** The signature's single output field, e.g. `sentiment` in "text -> sentiment: positive|negative". */
function outputFieldOf(base: TaskSpecInput): string {
  const [only, ...rest] = parseSignature(base.signature).outputs;
  if (!only || rest.length > 0) throw new Error(`the demo needs a single-output signature, got "${base.signature}"`);
  return only.name;
}
