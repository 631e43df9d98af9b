/**
 * The activity contract between workflows and the side-effecting world. Workflows use it with
 * `import type` (through `proxyActivities`); `createActivities` in src/activities implements it over
 * core + store. Every payload is small plain JSON: datasets, programs and reports travel as store ids.
 */
import { z } from 'zod';
import { floorCheckSchema, measureComparisonSchema } from '../core/stats/measures';
import type { TaskSpec } from '../core/task-spec';
import type { FeedbackRecord, VersionMetrics } from '../core/types';

export type { FeedbackRecord, VersionMetrics };

export interface DatasetSummary {
  datasetId: string;
  train: number;
  val: number;
  holdout: number;
  corrections: number;
  /** Why the validation split cannot judge the spec's recall floor (too few rows of its label); absent when it can. */
  valWarning?: string;
}

export const evalSummarySchema = z.object({
  reportId: z.string(),
  versionId: z.string(),
  split: z.enum(['val', 'holdout']),
  n: z.number(),
  accuracy: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  lmCalls: z.number(),
  errors: z.number(),
});
export type EvalSummary = z.infer<typeof evalSummarySchema>;

/** Which examples of a split an evaluation shard scores: `[index * size, (index + 1) * size)`. */
export interface EvalShard {
  index: number;
  size: number;
}

/** What one evaluation: version × snapshot × split. */
export interface EvalTarget {
  versionId: string;
  datasetId: string;
  split: 'val' | 'holdout';
}

/** A finished shard; its rows wait in the store for `mergeEvaluation`. */
export interface EvalShardSummary {
  index: number;
  n: number;
  correct: number;
  lmCalls: number;
}

export interface OptimizeSummary {
  versionId: string;
  optimizer: string;
  demos: number;
  /** Candidate programs the optimizer scored (random search), best first. */
  candidates: { label: string; score: number }[];
  lmCalls: number;
}

const armSchema = z.object({ versionId: z.string(), accuracy: z.number(), p50Ms: z.number() });

/**
 * The A/B gate's answer: `compare` returns it, and a rollout sends it back to the learner.
 * `accuracy`, `accuracyDelta`, `ci95` and `pValue` are always the pass-rate comparison (McNemar), as
 * in older histories; `measure` is the comparison on the measure the spec names.
 */
export const gateResultSchema = z.object({
  action: z.enum(['promote', 'reject', 'keep']),
  reason: z.string(),
  baseline: armSchema,
  candidate: armSchema,
  accuracyDelta: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  pValue: z.number(),
  p50DeltaMs: z.number(),
  /** What the decision was taken on (absent in histories recorded before measures existed: accuracy). */
  measure: measureComparisonSchema.optional(),
  /** The candidate's recall of a label against the spec's floor, when the spec sets one. */
  floor: floorCheckSchema.optional(),
});
export type GateResult = z.output<typeof gateResultSchema>;

export interface PointerChange {
  active: string | null;
  previous: string | null;
  /** False when compare-and-set found the pointer already where it should be (an idempotent retry). */
  changed: boolean;
  /** Set when an operator's rollback ended a live canary instead: the version taken out of it (`active` did not move). */
  canaryRolledBack?: string;
}

/**
 * What the long activities (`optimize`, `evaluate`) send as heartbeat details: small numbers the Web
 * UI, `temporal workflow describe` and `kkachi task status` show. `correct`: examples scored right so far
 * (evaluate). What a retried attempt resumes from lives in the store, not here.
 */
export const activityProgressSchema = z.object({
  stage: z.string(),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  correct: z.number().int().min(0).optional(),
  /** A shard of a sharded evaluation: which one, of how many (the others are activities of their own). */
  shard: z.object({ index: z.number().int().min(0), of: z.number().int().min(1) }).optional(),
});
export type ActivityProgress = z.output<typeof activityProgressSchema>;

export interface LiveMetrics {
  versionId: string;
  n: number;
  correct: number;
  accuracy: number | null;
  /** p50 latency of the version's logged predictions since the same time; null when none (or from an older worker). */
  p50Ms?: number | null;
}

/** A version serving a share of traffic next to the active one (see `setCanary`). */
export interface CanaryPointer {
  versionId: string;
  share: number;
}

export interface KkachiActivities {
  /** Data files, mapped columns, non-empty disjoint train/holdout, model or endpoint: throws naming what is wrong. */
  checkTaskSpec(spec: TaskSpec): Promise<{ train: number; holdout: number }>;
  /**
   * Insert feedback, unique by prediction id; re-delivery is a no-op. A record without a versionId is
   * stamped with the registry's active version, which the answer names (whoever moved the pointer).
   */
  persistFeedback(task: string, records: FeedbackRecord[]): Promise<{ inserted: number; duplicates: number; active?: string | null }>;
  /** Store the spec's zero-shot program as a version and make it active if the task has none. */
  ensureBaseline(spec: TaskSpec): Promise<{ versionId: string; active: string }>;
  /** The registry's `active` pointer now, and the live canary (absent in histories recorded before it was read). */
  activeVersion(task: string): Promise<{ active: string | null; canary?: CanaryPointer | null }>;
  /** Snapshot seed examples + all corrections so far into train/val (split by seed, by label for a classification) + holdout. */
  buildDataset(spec: TaskSpec, opts: { cycle: number }): Promise<DatasetSummary>;
  /** Run the spec's optimizer on a dataset snapshot; heartbeats progress and resumes from it. */
  optimize(spec: TaskSpec, opts: { datasetId: string; parentVersionId: string; cycle: number }): Promise<OptimizeSummary>;
  /** Evaluate a version on a split of a dataset snapshot; heartbeats progress. */
  evaluate(spec: TaskSpec, opts: EvalTarget): Promise<EvalSummary>;
  /** Evaluate one shard of a split (any worker; heartbeats, resumes); its rows are kept for the merge. */
  evaluateShard(spec: TaskSpec, opts: EvalTarget & { shard: EvalShard }): Promise<EvalShardSummary>;
  /** Join every shard's rows, in dataset order, into the report `evaluate` would have stored. */
  mergeEvaluation(spec: TaskSpec, opts: EvalTarget & { shardSize: number; shards: number }): Promise<EvalSummary>;
  /** Paired A/B comparison of two reports on the same examples + the spec's decision rule. */
  compare(spec: TaskSpec, opts: { baselineReportId: string; candidateReportId: string }): Promise<GateResult>;
  /** Compare-and-set `active` to versionId when it equals expectedActive (or already is versionId). */
  promote(task: string, opts: { versionId: string; expectedActive: string | null; actor: string; reason: string }): Promise<PointerChange>;
  /**
   * Compensation and operator rollback: if `active` is still fromVersionId, mark it rolled back and
   * restore the last version that served well before it (never one rolled back); `changed: false` otherwise.
   */
  restorePrevious(task: string, opts: { fromVersionId: string; actor: string; reason: string }): Promise<PointerChange>;
  /**
   * Operator rollback during a live canary: if versionId is still the canary, end the canary and mark
   * the version rolled back (`changed`); all traffic goes to `active`, which does not move.
   */
  rollBackCanary(task: string, opts: { versionId: string; actor: string; reason: string }): Promise<PointerChange>;
  /** Accuracy of a version on feedback received since sinceMs (a confirmation is correct, a correction wrong). */
  liveMetrics(task: string, opts: { versionId: string; sinceMs: number }): Promise<LiveMetrics>;
  /**
   * The seed's monitoring numbers of the task's newest `limit` versions (and the active one and the
   * canary when older), oldest first: what the learner's `status` shows. Read-only.
   */
  versionMetrics(task: string, opts: { limit: number }): Promise<VersionMetrics[]>;
  /** Starts (canary set) or ends (null) a live canary; serving reads it. Idempotent. */
  setCanary(task: string, opts: { canary: CanaryPointer | null; actor: string; reason: string }): Promise<void>;
}
