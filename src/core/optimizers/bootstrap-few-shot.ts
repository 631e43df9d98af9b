/**
 * DSPy's BootstrapFewShot: a teacher (the student with labelled demos, unless given) runs on training
 * examples; the traces whose outputs pass the metric become augmented demos, topped up with labelled
 * examples that were not bootstrapped.
 */
import { z } from 'zod';
import { canonicalJson } from '../canonical';
import type { EvalUsage } from '../evaluate';
import { parseOrThrow } from '../errors';
import type { LM } from '../lm/types';
import type { Metric } from '../metrics';
import { predict, type ProgramSpec } from '../program';
import { createRng } from '../random';
import type { Demo, Example, PredictionFailure } from '../types';
import { balancedPick, interleaveLabels, labelQuotas, labelReader, type LabelReader } from './balance';
import { labeledDemos } from './labeled-few-shot';
import {
  addUsage,
  deriveSeed,
  emptyUsage,
  exampleDemo,
  predictionUsage,
  type CompileContext,
  type OptimizeResult,
  type Optimizer,
} from './types';

export const bootstrapFewShotConfigSchema = z.strictObject({
  maxBootstrappedDemos: z.number().int().min(0).default(4),
  maxLabeledDemos: z.number().int().min(0).default(16),
  /** Attempts per example; attempts after the first sample at temperature 1.0 past the cache. */
  maxRounds: z.number().int().min(1).default(1),
  /** Accept a trace when its score reaches this (instead of the metric's `passed`). */
  metricThreshold: z.number().optional(),
  /** Teacher LM errors tolerated before compile throws (DSPy's settings default: 10). */
  maxErrors: z.number().int().min(0).default(10),
  /**
   * Kkachi's addition (enum outputs only): at most an equal share of bootstrapped traces per label,
   * labelled demos topped up from the labels with fewest, labels interleaved. Off = DSPy's selection.
   */
  balanceLabels: z.boolean().optional(),
});

export type BootstrapFewShotConfig = z.output<typeof bootstrapFewShotConfigSchema>;

/** Thrown when the teacher's LM errors exceed `maxErrors`. */
export class TeacherErrorBudgetExceeded extends Error {
  /** True iff every LM error was flagged retryable, so retrying the compile may succeed. */
  readonly retryable: boolean;

  constructor(
    readonly errors: number,
    maxErrors: number,
    lastError: string,
    retryable: boolean,
  ) {
    super(`Bootstrap stopped: ${errors} teacher LM errors exceed the budget of ${maxErrors}; last error: ${lastError}`);
    this.name = 'TeacherErrorBudgetExceeded';
    this.retryable = retryable;
  }
}

/** DSPy compares demos with examples by value; the `augmented` flag is not part of the value. */
const demoKey = (demo: Demo): string => canonicalJson({ inputs: demo.inputs, outputs: demo.outputs });

/** One compile's mutable state: traces collected, errors seen, work done. */
interface BootstrapRun {
  teacher: ProgramSpec;
  teacherLm: LM;
  metric: Metric;
  augmented: Demo[];
  bootstrapped: Set<number>;
  traces: number;
  errors: PredictionFailure[];
  usage: EvalUsage;
  /** Set when balancing labels: how to read a label, and how many traces each label may still add. */
  balance?: { reader: LabelReader; room: Map<string, number> };
}

export class BootstrapFewShot implements Optimizer<BootstrapFewShotConfig> {
  readonly name = 'BootstrapFewShot';
  readonly config: BootstrapFewShotConfig;

  constructor(config: z.input<typeof bootstrapFewShotConfigSchema> = {}) {
    this.config = parseOrThrow(bootstrapFewShotConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { maxBootstrappedDemos, maxLabeledDemos, maxRounds, balanceLabels } = this.config;
    const { trainset, seed } = ctx;
    const reader = balanceLabels ? labelReader(student.signature) : undefined;
    const run: BootstrapRun = {
      teacher: this.prepareTeacher(ctx.teacher ?? student, trainset, seed, reader),
      teacherLm: ctx.teacherLm ?? ctx.lm,
      metric: ctx.metric,
      augmented: [],
      bootstrapped: new Set(),
      traces: 0,
      errors: [],
      usage: emptyUsage(),
      balance: reader && { reader, room: labelQuotas(trainset, maxBootstrappedDemos, reader) },
    };

    // As DSPy: walk the trainset in order; each example gets up to maxRounds attempts (later ones
    // sample afresh) until one passes; stop once maxBootstrappedDemos traces are kept.
    for (let index = 0; index < trainset.length && run.augmented.length < maxBootstrappedDemos; index++) {
      const example = trainset[index] as Example;
      // A label whose share is full costs no teacher call.
      if (run.balance && (run.balance.room.get(run.balance.reader.labelOf(example) ?? '') ?? 0) <= 0) continue;
      for (let round = 0; round < maxRounds; round++) {
        if (await this.bootstrapOne(run, example, index, round)) break;
      }
      ctx.onProgress?.({ stage: 'bootstrap', done: index + 1, total: trainset.length });
    }

    const unbootstrapped = trainset.filter((_, index) => !run.bootstrapped.has(index));
    const labeledCount = Math.max(0, maxLabeledDemos - run.augmented.length);
    const rng = createRng(deriveSeed(seed, 'labeled-demos'));
    const labeled = (reader ? balancedPick(unbootstrapped, labeledCount, reader, { chosen: run.augmented, rng }) : rng.sample(unbootstrapped, labeledCount)).map(exampleDemo);
    const demos = reader ? interleaveLabels([...run.augmented, ...labeled], reader) : [...run.augmented, ...labeled];
    return { program: { ...student, demos }, candidates: [], traces: run.traces, usage: run.usage };
  }

  /** A teacher without demos first gets labelled ones, as DSPy compiles it with LabeledFewShot. */
  private prepareTeacher(teacher: ProgramSpec, trainset: readonly Example[], seed: number, balance: LabelReader | undefined): ProgramSpec {
    const { maxLabeledDemos } = this.config;
    if (maxLabeledDemos === 0 || teacher.demos.length > 0) return teacher;
    return { ...teacher, demos: labeledDemos(trainset, { k: maxLabeledDemos, sample: true, seed: deriveSeed(seed, 'teacher-demos'), balance }) };
  }

  /** Runs the teacher on one example (never shown that example as a demo) and keeps a passing trace. */
  private async bootstrapOne(run: BootstrapRun, example: Example, index: number, round: number): Promise<boolean> {
    const own = demoKey(exampleDemo(example));
    const teacher = { ...run.teacher, demos: run.teacher.demos.filter((d) => demoKey(d) !== own) };
    // Later rounds sample afresh: a distinct rollout at temperature 1.0 misses the cached greedy reply.
    const sampling = round > 0 ? { rolloutId: String(round), temperature: 1 } : {};
    const prediction = await predict(teacher, example.inputs, run.teacherLm, sampling);
    run.traces += 1;
    addUsage(run.usage, predictionUsage(prediction));

    if (!prediction.ok) {
      if (prediction.error.kind === 'lm') this.countError(run, prediction.error);
      return false;
    }
    const { score, passed } = run.metric(example, prediction.outputs);
    const { metricThreshold } = this.config;
    if (!(metricThreshold !== undefined ? score >= metricThreshold : passed)) return false;
    run.augmented.push({ inputs: example.inputs, outputs: prediction.outputs, augmented: true });
    run.bootstrapped.add(index);
    if (run.balance) {
      const label = run.balance.reader.labelOf(example) ?? '';
      run.balance.room.set(label, (run.balance.room.get(label) ?? 0) - 1);
    }
    return true;
  }

  private countError(run: BootstrapRun, failure: PredictionFailure): void {
    run.errors.push(failure);
    const { maxErrors } = this.config;
    if (run.errors.length <= maxErrors) return;
    const retryable = run.errors.every((e) => (e as { retryable?: unknown }).retryable === true);
    throw new TeacherErrorBudgetExceeded(run.errors.length, maxErrors, failure.message, retryable);
  }
}
