/**
 * Feedback over HTTP: a body names a logged prediction by id (input, predicted and version come from
 * the prediction log) or carries today's full `feedback` payload for a prediction made elsewhere. It
 * is checked against the task's signature here, so a bad field is a 400 at once instead of a silent
 * `rejected` count in the learner, and handed to Temporal in batches shared by concurrent requests.
 */
import { z } from 'zod';
import { parseOrThrow, ValidationError } from '../core/errors';
import type { Fields } from '../core/types';
import type { Store } from '../store/types';
import { feedbackSizeProblem, type FeedbackPayload } from '../contract';
import { Batcher } from './batcher';
import type { FeedbackTarget } from './feedback-target';
import type { ServedTask } from './tasks';

/** Records one batch request may carry. */
export const MAX_BATCH_RECORDS = 1_000;

const looseFields = z.record(z.string(), z.unknown());

export const feedbackBodySchema = z.strictObject({
  predictionId: z.string().min(1).max(200),
  correct: looseFields,
  /** With `predicted`: feedback on a prediction made elsewhere (not in the prediction log). */
  input: looseFields.optional(),
  predicted: looseFields.optional(),
  versionId: z.string().min(1).max(128).optional(),
});

export const feedbackBatchBodySchema = z.strictObject({ records: z.array(z.unknown()).min(1).max(MAX_BATCH_RECORDS) });

export class PredictionNotFoundError extends Error {
  constructor(readonly field: string, readonly predictionId: string, task: string) {
    super(`${field}: no prediction "${predictionId}" of task "${task}" in the prediction log (send input and predicted with feedback on predictions made elsewhere)`);
    this.name = 'PredictionNotFoundError';
  }
}

export type FeedbackStore = Pick<Store, 'getPrediction' | 'hasFeedbackReceipt' | 'recordFeedbackReceipts'>;

export interface Submitted {
  /** Prediction ids taken for the first time, in request order. */
  accepted: string[];
  /** Prediction ids whose feedback had already been taken (or repeated within the request). */
  duplicate: string[];
}

export interface FeedbackIngestOptions {
  store: FeedbackStore;
  target: FeedbackTarget;
  /** Records one delivery to Temporal carries at most. */
  maxBatch?: number;
  /** Deliveries under way at once per task. */
  maxInFlight?: number;
}

export class FeedbackIngest {
  /** Per task; each record's answer says whether its receipt was new (false: another request took it first). */
  private readonly batchers = new Map<string, Batcher<FeedbackPayload, boolean>>();

  constructor(private readonly options: FeedbackIngestOptions) {}

  /** The learner's payload for one body; ValidationError / PredictionNotFoundError name the field. */
  async resolve(task: ServedTask, raw: unknown, prefix = ''): Promise<FeedbackPayload> {
    const payload = await this.payloadOf(task, raw, prefix);
    // The learner would count an oversized record as rejected; refuse it here, naming its largest field.
    const oversized = feedbackSizeProblem(payload, task.spec.limits.feedbackBytes);
    if (oversized) {
      const field = [prefix, oversized.split(':')[0]].filter(Boolean).join('.');
      throw new ValidationError(field, prefix ? `${prefix}.${oversized}` : oversized);
    }
    return payload;
  }

  private async payloadOf(task: ServedTask, raw: unknown, prefix: string): Promise<FeedbackPayload> {
    const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
    const body = parseOrThrow(feedbackBodySchema, raw, prefix);
    const correct = parseOrThrow(task.outputs, body.correct, at('correct')) as Fields;
    const hasInput = body.input !== undefined;
    if (hasInput !== (body.predicted !== undefined)) {
      const missing = hasInput ? 'predicted' : 'input';
      throw new ValidationError(at(missing), `${at(missing)}: required with ${hasInput ? 'input' : 'predicted'} (or send neither, to use the prediction log)`);
    }
    if (body.input !== undefined && body.predicted !== undefined) {
      const payload: FeedbackPayload = {
        predictionId: body.predictionId,
        input: parseOrThrow(task.inputs, body.input, at('input')) as Fields,
        predicted: parseOrThrow(task.outputs, body.predicted, at('predicted')) as Fields,
        correct,
      };
      const versionId = body.versionId ?? (await this.options.store.getPrediction(task.name, body.predictionId))?.versionId;
      return versionId ? { ...payload, versionId } : payload;
    }
    const logged = await this.options.store.getPrediction(task.name, body.predictionId);
    if (!logged) throw new PredictionNotFoundError(at('predictionId'), body.predictionId, task.name);
    if (logged.outputs === null) {
      throw new ValidationError(at('predictionId'), `${at('predictionId')}: prediction "${body.predictionId}" failed (${logged.error}); there is no answer to correct`);
    }
    return { predictionId: logged.predictionId, input: logged.inputs, predicted: logged.outputs, correct, versionId: body.versionId ?? logged.versionId };
  }

  /**
   * Hands new records to the task's learner and waits until Temporal has them. Feedback already
   * taken (per the receipts) is not sent again; a receipt is written only after delivery, in the same
   * batch as the delivery (one transaction for all the requests that share a signal), so a request
   * that failed (503) and is retried sends its records again, and the learner counts them once.
   */
  async submit(task: ServedTask, payloads: readonly FeedbackPayload[]): Promise<Submitted> {
    const seen = new Set<string>();
    const fresh: FeedbackPayload[] = [];
    const duplicate: string[] = [];
    for (const p of payloads) {
      if (seen.has(p.predictionId) || (await this.options.store.hasFeedbackReceipt(task.name, p.predictionId))) duplicate.push(p.predictionId);
      else fresh.push(p);
      seen.add(p.predictionId);
    }
    if (fresh.length === 0) return { accepted: [], duplicate };
    const batcher = this.batcher(task);
    const first = await Promise.all(fresh.map((p) => batcher.add(p)));
    // A concurrent request with the same id may have recorded it first: that one is the acceptance.
    fresh.forEach((p, i) => first[i] || duplicate.push(p.predictionId));
    return { accepted: fresh.filter((_, i) => first[i]).map((p) => p.predictionId), duplicate };
  }

  /** Waits for deliveries under way (on shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((b) => b.drain()));
  }

  private batcher(task: ServedTask): Batcher<FeedbackPayload, boolean> {
    let batcher = this.batchers.get(task.name);
    if (!batcher) {
      batcher = new Batcher((records) => this.deliver(task, records), {
        maxItems: this.options.maxBatch ?? MAX_BATCH_RECORDS,
        maxInFlight: this.options.maxInFlight ?? 4,
      });
      this.batchers.set(task.name, batcher);
    }
    return batcher;
  }

  /** One delivery, then one receipts transaction: true for each record whose id was noted here first. */
  private async deliver(task: ServedTask, records: FeedbackPayload[]): Promise<boolean[]> {
    await this.options.target.deliver(task, records);
    const ids = records.map((r) => r.predictionId);
    const noted = new Set(await this.options.store.recordFeedbackReceipts(task.name, [...new Set(ids)]));
    // Two requests naming one id in the same batch: the first is the acceptance.
    return ids.map((id) => noted.delete(id));
  }
}
