/**
 * Feedback as clients send it (`feedback` signal, `submitFeedback` update) and the counters both
 * long-running workflows report. The learner and the pipeline take the same payload.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { boundedMessage } from '../core/errors';
import { fieldsSchema } from '../core/fields';
import { jsonBytes } from '../core/size';

/**
 * One piece of feedback: the prediction's id (the idempotency key), the inputs it was made for, what
 * the program answered and what the user says is right. `predicted` equal to `correct` is a
 * confirmation. `versionId` is the program version that answered (the learner's active one if absent).
 */
export const feedbackSchema = z.strictObject({
  predictionId: z.string().min(1).max(200),
  input: fieldsSchema,
  predicted: fieldsSchema,
  correct: fieldsSchema,
  versionId: z.string().min(1).max(128).nullable().optional(),
});
export type FeedbackPayload = z.input<typeof feedbackSchema>;

/**
 * Null when a feedback payload fits `limit` bytes (its UTF-8 JSON; the spec's `limits.feedbackBytes`),
 * else a short message naming its largest field. Edges check before sending; the learner checks again.
 */
export function feedbackSizeProblem(raw: unknown, limit: number): string | null {
  const total = jsonBytes(raw);
  if (total <= limit) return null;
  return `${largestField(raw)}: feedback is ${total} bytes, over the limit of ${limit} bytes (limits.feedbackBytes)`;
}

/** Path of the biggest value among a payload's fields and their sub-fields (`input.text`). */
function largestField(raw: unknown): string {
  let best = { path: 'feedback', bytes: -1 };
  for (const [key, value] of entriesOf(raw)) {
    const inner = entriesOf(value);
    for (const [sub, v] of inner.length > 0 ? inner : [[undefined, value] as const]) {
      const bytes = jsonBytes(v);
      if (bytes > best.bytes) best = { path: sub === undefined ? key : `${key}.${sub}`, bytes };
    }
  }
  return boundedMessage(best.path.slice(0, 100));
}

const entriesOf = (value: unknown): [string, unknown][] =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];

/** Records in one `feedbackBatch` signal at most; more go in several signals. */
export const FEEDBACK_BATCH_MAX_RECORDS = 1_000;
/** Bytes of one batch at most: Temporal refuses a payload over 2 MB. */
export const FEEDBACK_BATCH_MAX_BYTES = 1_500_000;

/**
 * Many feedback records in one signal (a serving layer's buffer): the learner takes each record as if
 * it came in its own `feedback` signal — validated, deduplicated and counted one by one.
 */
export const feedbackBatchSchema = z.strictObject({ records: z.array(z.unknown()).min(1).max(FEEDBACK_BATCH_MAX_RECORDS) });
export interface FeedbackBatch {
  records: FeedbackPayload[];
}

/** Splits records, in order, into batches within both bounds (a record over the byte bound goes alone). */
export function feedbackBatches(records: readonly FeedbackPayload[]): FeedbackBatch[] {
  const batches: FeedbackBatch[] = [];
  let current: FeedbackPayload[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = jsonBytes(record) + 1;
    if (current.length > 0 && (current.length >= FEEDBACK_BATCH_MAX_RECORDS || bytes + size > FEEDBACK_BATCH_MAX_BYTES)) {
      batches.push({ records: current });
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) batches.push({ records: current });
  return batches;
}

/** What `submitFeedbackBatch` did with a batch: records taken (buffered, stored within seconds), duplicates, and the refused ones by position. */
export interface FeedbackBatchAck {
  taken: number;
  duplicates: number;
  rejected: { index: number; error: string }[];
}

export interface FeedbackAck {
  /** True when this call added the record (false for a duplicate prediction id). */
  accepted: boolean;
  duplicate: boolean;
  predictionId: string;
}

export const feedbackCountersSchema = z.object({
  /** Distinct prediction ids accepted and persisted (each counted exactly once). */
  received: z.number().int(),
  /** Of `received`, those whose correct output differs from the prediction. */
  corrections: z.number().int(),
  /** Feedback for a prediction id already received (not stored again). */
  duplicates: z.number().int(),
  /** Malformed or oversized signals and batch records, by signal or batch update (never stored); an invalid `submitFeedback` is refused instead and not counted. */
  rejected: z.number().int(),
});
export type FeedbackCounters = z.output<typeof feedbackCountersSchema>;

export const emptyFeedbackCounters = (): FeedbackCounters => ({ received: 0, corrections: 0, duplicates: 0, rejected: 0 });

/** Fire-and-forget feedback: malformed payloads are counted as `rejected` and logged. */
export const feedbackSignal = defineSignal<[FeedbackPayload]>('feedback');
/** Up to 1,000 records in one signal, each taken as if sent alone (see `feedbackBatches`). */
export const feedbackBatchSignal = defineSignal<[FeedbackBatch]>('feedbackBatch');
/** Feedback with an answer: persisted before the ack; a malformed payload is refused, non-retryable. */
export const submitFeedbackUpdate = defineUpdate<FeedbackAck, [FeedbackPayload]>('submitFeedback');
/**
 * A batch with backpressure: taken like a `feedbackBatch` signal and answered at once (the records
 * are in the workflow's history), but refused as `LearnerBusy` while the learner's buffer is full or
 * its run is closing, so a sender that never pauses cannot keep the run from continuing as new.
 */
export const submitFeedbackBatchUpdate = defineUpdate<FeedbackBatchAck, [FeedbackBatch]>('submitFeedbackBatch');
