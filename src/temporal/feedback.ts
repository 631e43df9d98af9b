/**
 * Sending feedback to a learner from a client (the CLI, a user's service): checked before it leaves,
 * and sent again while the learner or the server says it is busy.
 *
 * The size check must happen here, not only in the learner: Temporal's worker will not send a
 * workflow task's completion carrying more than 2 MB, and an update's acceptance or rejection carries
 * the update's request back. An update over 2 MB therefore fails every workflow task it is delivered
 * in — the server delivers it again with each attempt, for about 20 s — and then the server fails it,
 * and every update that waited meanwhile, with FAILED_PRECONDITION "Workflow Task in failed state"
 * (docs/WORKFLOWS.md, "Size").
 */
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  feedbackSizeProblem,
  LEARNER_BUSY,
  submitFeedbackBatchUpdate,
  submitFeedbackUpdate,
  type FeedbackAck,
  type FeedbackBatch,
  type FeedbackBatchAck,
  type FeedbackPayload,
} from '../contract';
import { FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE } from './grpc-status';

/**
 * Update refusals by the server that pass, so the same update is sent again: RESOURCE_EXHAUSTED, the
 * server's limit on updates in flight per workflow (`history.maxInFlightUpdates`, 10 by default);
 * FAILED_PRECONDITION, updates caught in a failed workflow task; UNAVAILABLE, updates the server aborted
 * when the run continued as new before taking them (or a server that is down for a moment). Not
 * DEADLINE_EXCEEDED: that is the caller's own deadline, after which nothing should be sent again.
 */
const SERVER_REFUSALS_THAT_PASS = new Set<number>([RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNAVAILABLE]);

export interface SubmitFeedbackOptions {
  /** Largest record in bytes: the task spec's `limits.feedbackBytes`. */
  maxBytes: number;
  /** How long transient refusals are sent again (default 60 s: a neighbour's oversized update blocks ~20 s). */
  retryForMs?: number;
  /** Wait between sends (default 500 ms). */
  retryDelayMs?: number;
}

/** Throws an Error naming the largest field when `payload` is over `maxBytes`, before anything is sent. */
export function assertFeedbackSize(payload: unknown, maxBytes: number): void {
  const problem = feedbackSizeProblem(payload, maxBytes);
  if (problem) throw new Error(`feedback rejected: ${problem}`);
}

/**
 * Whether a failed send may succeed unchanged a moment later: the learner refused it as `LearnerBusy`
 * (buffer full, run closing), or the server refused or aborted it for a reason that passes.
 */
export function isTransientUpdateFailure(err: unknown): boolean {
  if (err instanceof WorkflowUpdateFailedError) return err.cause instanceof ApplicationFailure && err.cause.type === LEARNER_BUSY;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return isGrpcServiceError(cause) && SERVER_REFUSALS_THAT_PASS.has(cause.code);
}

/**
 * `submitFeedback` with the size checked first and transient refusals sent again; resolves with the
 * learner's ack once the record is stored. A field-named validation error is thrown at once.
 */
export async function submitFeedback(handle: WorkflowHandle, payload: FeedbackPayload, options: SubmitFeedbackOptions): Promise<FeedbackAck> {
  assertFeedbackSize(payload, options.maxBytes);
  return untilTaken((updateId) => handle.executeUpdate(submitFeedbackUpdate, { args: [payload], updateId }), options);
}

/**
 * `submitFeedbackBatch`, each record's size checked first, refusals while the learner is busy sent
 * again: the sender waits while the learner's run closes, which is what lets it close under a flood.
 */
export async function submitFeedbackBatch(handle: WorkflowHandle, batch: FeedbackBatch, options: SubmitFeedbackOptions): Promise<FeedbackBatchAck> {
  for (const record of batch.records) assertFeedbackSize(record, options.maxBytes);
  return untilTaken((updateId) => handle.executeUpdate(submitFeedbackBatchUpdate, { args: [batch], updateId }), options);
}

/**
 * Sends an update until it is taken, sending transient failures again (then the last one is thrown).
 * Every send carries the same update id: an update the learner had already accepted when a later
 * workflow task failed is answered by the server with its outcome, not taken (and counted) again.
 */
export async function untilTaken<R>(send: (updateId: string) => Promise<R>, options: Pick<SubmitFeedbackOptions, 'retryForMs' | 'retryDelayMs'>): Promise<R> {
  const delayMs = options.retryDelayMs ?? 500;
  const giveUpAt = Date.now() + (options.retryForMs ?? 60_000);
  const updateId = randomUUID();
  for (;;) {
    try {
      return await send(updateId);
    } catch (err) {
      if (Date.now() + delayMs >= giveUpAt || !isTransientUpdateFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
