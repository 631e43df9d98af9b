/** The contract every optimizer implements, and the plumbing they share. */
import { contentHash } from '../canonical';
import type { EvalReport, EvalUsage } from '../evaluate';
import type { Completion, LM } from '../lm/types';
import type { Metric } from '../metrics';
import type { ProgramSpec } from '../program';
import type { Demo, Example, Prediction } from '../types';

export interface OptimizeProgress {
  /** What is running, e.g. `bootstrap` or `seed 3: evaluate`. */
  stage: string;
  done: number;
  total: number;
  /** Best validation score so far (random search only). */
  bestScore?: number;
}

export interface CompileContext {
  trainset: readonly Example[];
  /** Scores candidate programs (random search); defaults to the trainset, as in DSPy. */
  valset?: readonly Example[];
  lm: LM;
  metric: Metric;
  /** The root of every random choice: same seed + same cache ⇒ same program. */
  seed: number;
  /**
   * The task's measure of a candidate over its valset report (corpus-level, e.g. macro-F1); defaults
   * to the mean per-example metric score, DSPy's choice.
   */
  score?: (report: EvalReport) => number;
  /** Runs the bootstrap traces; defaults to a copy of the student. */
  teacher?: ProgramSpec;
  /** The teacher's LM; defaults to `lm`. */
  teacherLm?: LM;
  onProgress?: (progress: OptimizeProgress) => void;
}

export interface CandidateSummary {
  label: string;
  /** DSPy's candidate seed: −3 zero-shot, −2 labelled only, −1 unshuffled bootstrap, 0… random. */
  seed: number;
  /** The candidate's valset score (`CompileContext.score`, else the mean metric score). */
  score: number;
  demos: number;
}

export interface OptimizeResult {
  program: ProgramSpec;
  /** Candidate programs scored on the valset, best first (empty for optimizers that score none). */
  candidates: CandidateSummary[];
  /** Teacher forward passes run while bootstrapping. */
  traces: number;
  /** LM work of this compile, counted like `EvalReport.usage`. */
  usage?: EvalUsage;
}

export interface Optimizer<Config = unknown> {
  readonly name: string;
  /** The validated config with defaults filled in (what an artifact's lineage records). */
  readonly config: Config;
  compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult>;
}

/**
 * An independent seed for one named random choice, so adding a choice never shifts another's stream
 * (48 bits of a hash: a safe integer).
 */
export function deriveSeed(seed: number, purpose: string): number {
  return parseInt(contentHash([seed, purpose]).slice(0, 12), 16);
}

/** A labelled example as a demo (ids stay out of prompts and program hashes). */
export function exampleDemo(example: Example): Demo {
  return { inputs: example.inputs, outputs: example.outputs };
}

export function emptyUsage(): EvalUsage {
  return { predictions: 0, promptTokens: 0, completionTokens: 0, cacheHits: 0, errors: 0 };
}

export function addUsage(total: EvalUsage, more: EvalUsage): void {
  total.predictions += more.predictions;
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.cacheHits += more.cacheHits;
  total.errors += more.errors;
}

/** One raw completion's LM work (calibration's content-free queries), counted like a prediction. */
export function completionUsage(completion: Completion): EvalUsage {
  const { promptTokens, completionTokens } = completion.usage;
  return { predictions: 1, promptTokens, completionTokens, cacheHits: completion.cached ? 1 : 0, errors: 0 };
}

/** One prediction's LM work, counted the way `evaluate` counts it. */
export function predictionUsage(prediction: Prediction): EvalUsage {
  return {
    predictions: 1,
    promptTokens: prediction.promptTokens,
    completionTokens: prediction.completionTokens,
    cacheHits: prediction.cached ? 1 : 0,
    errors: !prediction.ok && prediction.error.kind === 'lm' ? 1 : 0,
  };
}
