/**
 * The evaluator: runs a program over a dataset with bounded concurrency and scores every example,
 * producing one row per example — what a report, a heartbeat and a paired A/B test need.
 */
import type { LM } from './lm/types';
import type { Metric } from './metrics';
import { predict, type ProgramSpec } from './program';
import { latencySummary, type LatencySummary } from './stats/percentile';
import type { Example, Fields, Prediction } from './types';

export interface EvalRow {
  id: string;
  /** Parsed outputs; null when the LM failed or its reply did not parse. */
  outputs: Fields | null;
  /** The example's gold outputs, so corpus metrics (confusion matrix, macro-F1) can be computed from a report alone. */
  expected?: Fields;
  raw?: string;
  score: number;
  passed: boolean;
  latencyMs: number;
  cached: boolean;
  error?: string;
  /** Which stage failed: an `lm` row is an infrastructure failure, `parse`/`metric` rows are model quality. */
  errorKind?: 'lm' | 'parse' | 'metric';
}

export interface EvalUsage {
  /** Predictions made, each counted once, cache hits included (an LM `Usage.calls` counts provider calls only). */
  predictions: number;
  promptTokens: number;
  completionTokens: number;
  cacheHits: number;
  errors: number;
}

export interface EvalReport {
  n: number;
  meanScore: number;
  passRate: number;
  /** One row per example, in dataset order. */
  rows: EvalRow[];
  latency: LatencySummary;
  /** The LM work done by this call (rows taken from `resume` cost nothing here). */
  usage: EvalUsage;
  /** Rows whose LM call failed (scored 0, like DSPy's failure_score). */
  errors: number;
}

export interface EvalProgress {
  done: number;
  total: number;
  errors: number;
  meanScore: number;
  row: EvalRow;
}

export interface EvaluateOptions {
  lm: LM;
  metric: Metric;
  /** Most predictions in flight at once (default 8). */
  concurrency?: number;
  /** LM errors tolerated before the run stops (default 10); parse failures never count. */
  maxErrors?: number;
  /** Called once per example evaluated by this call, in completion order. */
  onProgress?: (progress: EvalProgress) => void;
  /**
   * Rows from an earlier, interrupted run (e.g. an activity's last heartbeat). Their examples are not
   * predicted again — except rows with an LM error, which are retried since they hold no result.
   */
  resume?: readonly EvalRow[];
  rolloutId?: string;
}

/** Thrown when LM errors exceed the budget; `rows` (dataset order) lets the caller heartbeat and resume. */
export class ErrorBudgetExceeded extends Error {
  readonly errors: number;
  readonly rows: EvalRow[];
  /** True iff every LM error was retryable, so retrying the whole evaluation may succeed. */
  readonly retryable: boolean;

  constructor(errors: number, maxErrors: number, lastError: string, rows: EvalRow[], retryable: boolean) {
    super(`Evaluation stopped: ${errors} LM errors exceed the budget of ${maxErrors}; last error: ${lastError}`);
    this.name = 'ErrorBudgetExceeded';
    this.errors = errors;
    this.rows = rows;
    this.retryable = retryable;
  }
}

/**
 * Latency of a set of rows. LM-error rows are left out (a fast 500 is not a prediction). Cache hits
 * count: they carry the latency the provider had when it made the reply, so a program evaluated from
 * the cache and one evaluated fresh are compared on what serving them costs.
 */
export function rowsLatency(rows: readonly EvalRow[]): LatencySummary {
  return latencySummary(rows.filter((r) => r.errorKind !== 'lm').map((r) => r.latencyMs));
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function scoreRow(example: Example, prediction: Prediction, metric: Metric): EvalRow {
  const base = { id: example.id, expected: example.outputs, raw: prediction.raw, latencyMs: prediction.latencyMs, cached: prediction.cached };
  if (!prediction.ok) {
    const { kind, message } = prediction.error;
    return { ...base, outputs: null, score: 0, passed: false, error: message, errorKind: kind };
  }
  try {
    const { score, passed } = metric(example, prediction.outputs);
    return { ...base, outputs: prediction.outputs, score, passed };
  } catch (err) {
    // A broken metric scores the example as wrong instead of losing the run.
    return { ...base, outputs: prediction.outputs, score: 0, passed: false, error: `metric: ${errorText(err)}`, errorKind: 'metric' };
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function checkUniqueIds(dataset: readonly Example[]): void {
  const seen = new Set<string>();
  for (const { id } of dataset) {
    // Rows are paired and resumed by id, so a duplicate would silently merge two examples.
    if (seen.has(id)) throw new Error(`dataset has duplicate example id "${id}"`);
    seen.add(id);
  }
}

export async function evaluate(program: ProgramSpec, dataset: readonly Example[], opts: EvaluateOptions): Promise<EvalReport> {
  const concurrency = positiveInteger('concurrency', opts.concurrency ?? 8);
  const maxErrors = opts.maxErrors ?? 10;
  if (!Number.isSafeInteger(maxErrors) || maxErrors < 0) throw new RangeError(`maxErrors must be a non-negative integer, got ${maxErrors}`);
  checkUniqueIds(dataset);

  const previous = new Map((opts.resume ?? []).filter((r) => r.errorKind !== 'lm').map((r) => [r.id, r]));
  const rows: (EvalRow | undefined)[] = dataset.map((ex) => previous.get(ex.id));
  const todo = dataset.flatMap((ex, index) => (rows[index] ? [] : [{ ex, index }]));

  const usage: EvalUsage = { predictions: 0, promptTokens: 0, completionTokens: 0, cacheHits: 0, errors: 0 };
  let done = dataset.length - todo.length;
  let scoreSum = rows.reduce((sum, r) => sum + (r?.score ?? 0), 0);
  let lastLMError = '';
  let allRetryable = true;
  let stopped = false;
  let fatal: { error: unknown } | undefined;

  const runOne = async (ex: Example, index: number): Promise<void> => {
    const prediction = await predict(program, ex.inputs, opts.lm, { rolloutId: opts.rolloutId });
    usage.predictions += 1;
    usage.promptTokens += prediction.promptTokens;
    usage.completionTokens += prediction.completionTokens;
    if (prediction.cached) usage.cacheHits += 1;
    if (!prediction.ok && prediction.error.kind === 'lm') {
      usage.errors += 1;
      lastLMError = prediction.error.message;
      // An LM failure that does not say it is retryable is treated as permanent.
      allRetryable &&= prediction.error.retryable === true;
      if (usage.errors > maxErrors) stopped = true;
    }
    const row = scoreRow(ex, prediction, opts.metric);
    rows[index] = row;
    done += 1;
    scoreSum += row.score;
    opts.onProgress?.({ done, total: dataset.length, errors: usage.errors, meanScore: scoreSum / done, row });
  };

  // A pool of `concurrency` workers pulling from a shared cursor: never more predictions in flight,
  // and once stopped no new work starts while in-flight predictions finish.
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (!stopped && cursor < todo.length) {
      const { ex, index } = todo[cursor++] as (typeof todo)[number];
      try {
        await runOne(ex, index);
      } catch (error) {
        // Not an LM or parse failure (predict returns those): a bad input or a bug. Stop and rethrow.
        stopped = true;
        fatal ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));

  const finished = rows.filter((r): r is EvalRow => r !== undefined);
  if (fatal) throw fatal.error;
  if (usage.errors > maxErrors) throw new ErrorBudgetExceeded(usage.errors, maxErrors, lastLMError, finished, allRetryable);

  return reportFromRows(finished, usage);
}

/**
 * The report of rows in dataset order: also how shards evaluated apart (by different workers) join
 * into the report one run over the whole dataset would have made.
 */
export function reportFromRows(rows: EvalRow[], usage: EvalUsage): EvalReport {
  // Summed in dataset order: completion order varies, and float sums depend on order.
  const n = rows.length;
  return {
    n,
    meanScore: n === 0 ? 0 : rows.reduce((sum, r) => sum + r.score, 0) / n,
    passRate: n === 0 ? 0 : rows.filter((r) => r.passed).length / n,
    rows,
    latency: rowsLatency(rows),
    usage,
    errors: rows.filter((r) => r.errorKind === 'lm').length,
  };
}
