/** Plain data shared across the core library. */
import type { z } from 'zod';
import type { fieldsSchema, fieldValueSchema } from './fields';

export type FieldValue = z.output<typeof fieldValueSchema>;
export type Fields = z.output<typeof fieldsSchema>;

/** One labelled example: the signature's input fields and the expected output fields. */
export interface Example {
  id: string;
  inputs: Fields;
  /** The gold outputs; a field with several accepted answers holds the first (what a demo shows). */
  outputs: Fields;
  /** Every accepted answer of a field whose data lists several (SQuAD's `answers`); metrics take the best. */
  alternatives?: Record<string, string[]>;
}

/** A few-shot demonstration; `augmented` marks a bootstrapped trace (DSPy's `augmented=True`). */
export interface Demo {
  inputs: Fields;
  outputs: Fields;
  augmented?: boolean;
}

export interface PredictionFailure {
  kind: 'parse' | 'lm';
  message: string;
  /** Set for `lm` failures: whether the same call may succeed later (rate limit, 5xx, timeout). */
  retryable?: boolean;
}

/** The result of one forward pass; a failure is data (scored as wrong), never a thrown error. */
export type Prediction =
  | { ok: true; outputs: Fields; raw: string; latencyMs: number; cached: boolean; promptTokens: number; completionTokens: number }
  | { ok: false; error: PredictionFailure; raw?: string; latencyMs: number; cached: boolean; promptTokens: number; completionTokens: number };

/** One piece of user feedback as the learner accepted it: the unit the store keeps and datasets grow from. */
export interface FeedbackRecord {
  /** The prediction's id: the idempotency key (each id is counted once). */
  predictionId: string;
  input: Fields;
  predicted: Fields;
  correct: Fields;
  /** Version that made the prediction (stamped by the learner with its active version when absent). */
  versionId: string | null;
  /** Workflow time in ms when the learner accepted it. */
  receivedAt: number;
}

export interface LatencyStats {
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

/** The seed's monitoring numbers for one version of a task, from the prediction log and the feedback. */
export interface VersionServingStats {
  versionId: string;
  predictions: number;
  /** Of `predictions`, those that failed (LM error or unparseable reply). */
  failures: number;
  /** Over the most recent predictions (the store samples at most 10,000); null before the first. */
  latency: LatencyStats | null;
  /** Feedback records persisted for this version (corrections + confirmations). */
  feedback: number;
  corrections: number;
  /** corrections / predictions; null before the first prediction. */
  feedbackRate: number | null;
  /** confirmations / feedback; null before the first feedback. */
  liveAccuracy: number | null;
}

export type VersionStatus = 'active' | 'canary' | 'rolled back' | 'served before' | 'never served';

/**
 * One version of a task as every monitoring view shows it (`/metrics`, `GET /v1/tasks/:task`, the
 * dashboard, `kkachi task status`, the learner's `status`): the serving numbers plus the held-out
 * accuracy the gate measured and its change from the version before (what a cycle improved).
 */
export interface VersionMetrics extends VersionServingStats {
  createdAt: number;
  status: VersionStatus;
  rolledBackReason: string | null;
  /** Pass rate of the version's latest linked evaluation report (the gate's held-out measurement). */
  heldOut: number | null;
  /** `heldOut` minus the held-out accuracy of the version created before it; null when either is unknown. */
  heldOutChange: number | null;
}
