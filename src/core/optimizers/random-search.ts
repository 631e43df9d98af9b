/**
 * DSPy's BootstrapFewShotWithRandomSearch: score a zero-shot, a labelled-only, an unshuffled bootstrap
 * and numCandidatePrograms bootstraps over seeded shuffles of the trainset on the valset; keep the best.
 * Candidates are ranked by the task's measure when the context gives one (`ctx.score`, e.g. macro-F1,
 * so a candidate that answers one label for everything loses), else by the mean metric score as in DSPy.
 */
import { z } from 'zod';
import { calibrate } from '../calibration';
import { calibrateOnExamples } from '../calibration-fit';
import { evaluate, type EvalUsage } from '../evaluate';
import { parseOrThrow } from '../errors';
import type { Completion } from '../lm/types';
import type { ProgramSpec } from '../program';
import { createRng } from '../random';
import type { Example } from '../types';
import { BootstrapFewShot } from './bootstrap-few-shot';
import { LabeledFewShot } from './labeled-few-shot';
import {
  addUsage,
  completionUsage,
  deriveSeed,
  emptyUsage,
  type CandidateSummary,
  type CompileContext,
  type OptimizeResult,
  type Optimizer,
} from './types';

export const randomSearchConfigSchema = z.strictObject({
  numCandidatePrograms: z.number().int().min(0).default(16),
  /** Upper bound of the random number of bootstrapped demos per candidate (lower bound 1). */
  maxBootstrappedDemos: z.number().int().min(1).default(4),
  maxLabeledDemos: z.number().int().min(0).default(16),
  maxRounds: z.number().int().min(1).default(1),
  /** Evaluation concurrency (evaluate's default when absent). */
  numThreads: z.number().int().min(1).optional(),
  /** Stop searching once a candidate scores at least this. */
  stopAtScore: z.number().optional(),
  metricThreshold: z.number().optional(),
  /** LM errors tolerated per bootstrap and per evaluation. */
  maxErrors: z.number().int().min(0).default(10),
  /** Kkachi's addition: label-balanced demos in every candidate (see BootstrapFewShot). */
  balanceLabels: z.boolean().optional(),
  /**
   * Kkachi's addition: also score each candidate with label-bias calibration — contextual, and batch and
   * fitted on the trainset rows it does not show (calibration.ts) — and keep whichever variant the valset prefers.
   * Needs an enum output and an LM that reports label probabilities; elsewhere it adds nothing.
   */
  calibrate: z.boolean().optional(),
});

export type RandomSearchConfig = z.output<typeof randomSearchConfigSchema>;

export type ScoredCandidate = CandidateSummary & { program: ProgramSpec };

export interface SearchResult {
  ranked: ScoredCandidate[];
  traces: number;
  usage: EvalUsage;
}

/** A program's score on the valset (the trainset when there is none) by the task's measure; its LM work is added to `usage`. */
export async function scoreOnValset(
  program: ProgramSpec,
  ctx: CompileContext,
  usage: EvalUsage,
  opts: { numThreads?: number; maxErrors: number; onProgress?: (p: { done: number; total: number }) => void },
): Promise<number> {
  const report = await evaluate(program, ctx.valset ?? ctx.trainset, {
    lm: ctx.lm,
    metric: ctx.metric,
    concurrency: opts.numThreads,
    maxErrors: opts.maxErrors,
    onProgress: opts.onProgress,
  });
  addUsage(usage, report.usage);
  return ctx.score ? ctx.score(report) : report.meanScore;
}

export const summary = ({ label, seed, score, demos }: ScoredCandidate): CandidateSummary => ({ label, seed, score, demos });

export class BootstrapFewShotWithRandomSearch implements Optimizer<RandomSearchConfig> {
  readonly name = 'BootstrapFewShotWithRandomSearch';
  readonly config: RandomSearchConfig;

  constructor(config: z.input<typeof randomSearchConfigSchema> = {}) {
    this.config = parseOrThrow(randomSearchConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { ranked, traces, usage } = await this.search(student, ctx);
    const best = ranked[0];
    if (!best) throw new Error('random search scored no candidate');
    return { program: best.program, candidates: ranked.map(summary), traces, usage };
  }

  /** Every candidate (and calibrated variant) scored on the valset, best first. */
  async search(student: ProgramSpec, ctx: CompileContext): Promise<SearchResult> {
    const { numCandidatePrograms, stopAtScore, numThreads, maxErrors } = this.config;
    const total = numCandidatePrograms + 3;
    const usage = emptyUsage();
    const scored: ScoredCandidate[] = [];
    let traces = 0;
    let bestScore: number | undefined;

    // DSPy's candidate seeds: −3 zero-shot, −2 labelled only, −1 unshuffled bootstrap, 0… shuffled.
    for (let candidateSeed = -3; candidateSeed < numCandidatePrograms; candidateSeed++) {
      const progress = (stage: string, done: number, stageTotal: number) =>
        ctx.onProgress?.({ stage: `candidate ${candidateSeed + 4}/${total}: ${stage}`, done, total: stageTotal, bestScore });
      const { label, result } = await this.buildCandidate(student, ctx, candidateSeed, (p) => progress(p.stage, p.done, p.total));
      traces += result.traces;
      if (result.usage) addUsage(usage, result.usage);

      const variants = await this.variants(label, result.program, ctx, usage, (p) => progress(p.stage, p.done, p.total));
      let score = -Infinity;
      for (const variant of variants) {
        const variantScore = await scoreOnValset(variant.program, ctx, usage, { numThreads, maxErrors, onProgress: (p) => progress('evaluate', p.done, p.total) });
        scored.push({ ...variant, seed: candidateSeed, score: variantScore, demos: variant.program.demos.length });
        score = Math.max(score, variantScore);
      }
      bestScore = Math.max(bestScore ?? -Infinity, score);
      ctx.onProgress?.({ stage: 'search', done: candidateSeed + 4, total, bestScore });
      if (stopAtScore !== undefined && score >= stopAtScore) break;
    }

    // Array.prototype.sort is stable, so equal scores keep candidate order: ties go to the earliest.
    return { ranked: [...scored].sort((a, b) => b.score - a.score), traces, usage };
  }

  /** A candidate, and its calibrated twins when `calibrate` is on and the task and LM allow them. */
  private async variants(label: string, program: ProgramSpec, ctx: CompileContext, usage: EvalUsage, onProgress: CompileContext['onProgress']): Promise<{ label: string; program: ProgramSpec }[]> {
    if (!this.config.calibrate) return [{ label, program }];
    const onCompletion = (c: Completion) => addUsage(usage, completionUsage(c));
    const twins = [{ label: `${label}+calibrated`, program: await calibrate(program, ctx.lm, { onCompletion }) }];
    // Estimated on the trainset, they may only be judged on other rows: without a valset they would judge themselves.
    if (ctx.valset) {
      const onExamples = await calibrateOnExamples(program, ctx.lm, ctx.trainset, { onCompletion, onProgress });
      twins.push({ label: `${label}+batch`, program: onExamples?.batch }, { label: `${label}+fitted`, program: onExamples?.fitted });
    }
    return [{ label, program }, ...twins.filter((t): t is { label: string; program: ProgramSpec } => t.program !== undefined)];
  }

  /** The candidate for one DSPy seed; the student's own demos only ever reach the default teacher. */
  private async buildCandidate(
    student: ProgramSpec,
    ctx: CompileContext,
    candidateSeed: number,
    onProgress: CompileContext['onProgress'],
  ): Promise<{ label: string; result: OptimizeResult }> {
    const { maxBootstrappedDemos, maxLabeledDemos, maxRounds, metricThreshold, maxErrors, balanceLabels } = this.config;
    const seed = deriveSeed(ctx.seed, `candidate ${candidateSeed}`);
    if (candidateSeed === -3) return { label: 'zero-shot', result: { program: { ...student, demos: [] }, candidates: [], traces: 0 } };
    if (candidateSeed === -2) {
      return { label: 'labeled-only', result: await new LabeledFewShot({ k: maxLabeledDemos, balanceLabels }).compile(student, { trainset: ctx.trainset, seed }) };
    }

    let trainset: readonly Example[] = ctx.trainset;
    let size = maxBootstrappedDemos;
    let label = 'bootstrap-unshuffled';
    if (candidateSeed >= 0) {
      const rng = createRng(seed);
      trainset = rng.shuffle(ctx.trainset);
      size = 1 + rng.int(maxBootstrappedDemos);
      label = `bootstrap-random-${candidateSeed}`;
    }
    const optimizer = new BootstrapFewShot({ maxBootstrappedDemos: size, maxLabeledDemos, maxRounds, metricThreshold, maxErrors, balanceLabels });
    return { label, result: await optimizer.compile(student, { ...ctx, trainset, seed, onProgress }) };
  }
}
