/**
 * Feedback as clients send it (`feedback` signal, `submitFeedback` update) and the counters both
 * long-running workflows report. The learner and the pipeline take the same payload.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { fieldsSchema } from '../core/fields';

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
  /** Malformed signals (never stored); invalid updates are refused instead and not counted. */
  rejected: z.number().int(),
});
export type FeedbackCounters = z.output<typeof feedbackCountersSchema>;

export const emptyFeedbackCounters = (): FeedbackCounters => ({ received: 0, corrections: 0, duplicates: 0, rejected: 0 });

/** Fire-and-forget feedback: malformed payloads are counted as `rejected` and logged. */
export const feedbackSignal = defineSignal<[FeedbackPayload]>('feedback');
/** Feedback with an answer: persisted before the ack; a malformed payload is refused, non-retryable. */
export const submitFeedbackUpdate = defineUpdate<FeedbackAck, [FeedbackPayload]>('submitFeedback');
