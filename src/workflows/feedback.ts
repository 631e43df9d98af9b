/**
 * Feedback intake shared by the learner and the pipeline: validation against the task's signature,
 * deduplication by prediction id, batching, and counters that stay exact across continue-as-new.
 *
 * Counting happens after the store has answered: the store is unique by prediction id, so a duplicate
 * older than the in-memory window is still counted as a duplicate, never twice as received.
 */
import { condition, log } from '@temporalio/workflow';
import type { ZodObject } from 'zod';
import { emptyFeedbackCounters, feedbackSchema, INVALID_FEEDBACK, type FeedbackAck, type FeedbackCounters, type FeedbackRecord } from '../contract';
import { isCorrection } from '../core/correction';
import { describeZodError } from '../core/errors';
import { inputSchema, outputSchema, type Signature } from '../core/signature';
import type { Fields } from '../core/types';
import { storeActivities } from './activities';

/** Records per persistFeedback call, and how long a partial batch may wait. */
export const BATCH_SIZE = 50;
export const FLUSH_DELAY_MS = 1_000;
/** Prediction ids remembered in workflow state; older duplicates are caught by the store. */
export const RECENT_IDS = 1_000;

/** The intake's part of a workflow's carried state: small, plain JSON. */
export interface IntakeState {
  counters: FeedbackCounters;
  /** Corrections persisted since `resetPending()` (the last cycle or collection stage). */
  pendingCorrections: number;
  /** Records of any kind persisted since `resetPending()`. */
  pendingFeedback: number;
  recentIds: string[];
  /** Accepted but not yet persisted; carried across continue-as-new so nothing is lost. */
  buffer: FeedbackRecord[];
}

export function emptyIntakeState(): IntakeState {
  return {
    counters: emptyFeedbackCounters(),
    pendingCorrections: 0,
    pendingFeedback: 0,
    recentIds: [],
    buffer: [],
  };
}

export class InvalidFeedback extends Error {
  override name = INVALID_FEEDBACK;
}

export class FeedbackIntake {
  private readonly recent: Set<string>;
  /** persistFeedback calls under way (the batching loop's and flush()'s may overlap). */
  private persisting = 0;
  private readonly inputs: ZodObject;
  private readonly outputs: ZodObject;

  constructor(
    private readonly task: string,
    signature: Signature,
    readonly state: IntakeState,
    /** The version to stamp on feedback that does not name one. */
    private readonly activeVersion: () => string | null,
    private readonly onPersisted: (records: FeedbackRecord[]) => void = () => undefined,
  ) {
    this.recent = new Set(state.recentIds);
    this.inputs = inputSchema(signature);
    this.outputs = outputSchema(signature);
  }

  /** Checks a payload against the signature; throws InvalidFeedback naming the field. */
  validate(raw: unknown): FeedbackRecord {
    const base = feedbackSchema.safeParse(raw);
    if (!base.success) throw new InvalidFeedback(describeZodError(base.error, raw).message);
    const p = base.data;
    return {
      predictionId: p.predictionId,
      input: fieldsOf(this.inputs, p.input, 'input'),
      predicted: fieldsOf(this.outputs, p.predicted, 'predicted'),
      correct: fieldsOf(this.outputs, p.correct, 'correct'),
      versionId: p.versionId ?? this.activeVersion(),
      receivedAt: Date.now(),
    };
  }

  /** Signal path: never throws; malformed feedback is counted and logged, valid feedback buffered. */
  offer(raw: unknown): void {
    let record: FeedbackRecord;
    try {
      record = this.validate(raw);
    } catch (err) {
      this.state.counters.rejected += 1;
      log.warn('feedback rejected', { task: this.task, error: (err as Error).message });
      return;
    }
    if (this.isDuplicate(record.predictionId)) return;
    this.state.buffer.push(record);
  }

  /** Update path: persists at once so the ack says exactly whether the record was new. */
  async submit(raw: unknown): Promise<FeedbackAck> {
    const record = this.validate(raw);
    const predictionId = record.predictionId;
    if (this.isDuplicate(predictionId)) return { accepted: false, duplicate: true, predictionId };
    const result = await this.persist([record]);
    return { accepted: result.inserted === 1, duplicate: result.duplicates === 1, predictionId };
  }

  /**
   * Persists everything buffered and waits for saves already under way, so that what was accepted
   * before the call is in the store when it returns (a dataset snapshot taken next contains it).
   */
  async flush(): Promise<void> {
    const batch = this.state.buffer.splice(0, this.state.buffer.length);
    if (batch.length > 0) await this.persist(batch);
    await condition(() => this.persisting === 0);
  }

  /**
   * Flushes on batch size or after FLUSH_DELAY_MS. Once `stopping()`, flushes what is buffered one last
   * time and returns: under steady traffic the buffer is never empty, so waiting for that would never
   * end; what arrives later stays in `state.buffer` for the caller to carry.
   */
  async run(stopping: () => boolean): Promise<void> {
    while (!stopping()) {
      await condition(() => this.state.buffer.length > 0 || stopping());
      await condition(() => this.state.buffer.length >= BATCH_SIZE || stopping(), FLUSH_DELAY_MS);
      await this.flush();
    }
  }

  resetPending(): void {
    this.state.pendingCorrections = 0;
    this.state.pendingFeedback = 0;
  }

  private isDuplicate(predictionId: string): boolean {
    if (this.recent.has(predictionId)) {
      this.state.counters.duplicates += 1;
      return true;
    }
    this.recent.add(predictionId);
    this.state.recentIds.push(predictionId);
    if (this.state.recentIds.length > RECENT_IDS) this.recent.delete(this.state.recentIds.shift() as string);
    return false;
  }

  /**
   * Corrections and confirmations go in separate calls: the store answers with counts only, and this
   * keeps `corrections` exact when some records turn out to be old duplicates.
   */
  private async persist(records: FeedbackRecord[]): Promise<{ inserted: number; duplicates: number }> {
    const corrections = records.filter((r) => isCorrection(r.predicted, r.correct));
    const confirmations = records.filter((r) => !isCorrection(r.predicted, r.correct));
    const total = { inserted: 0, duplicates: 0 };
    this.persisting += 1;
    try {
      for (const [group, correcting] of [[corrections, true], [confirmations, false]] as const) {
        if (group.length === 0) continue;
        const result = await storeActivities.persistFeedback(this.task, group);
        const c = this.state.counters;
        c.received += result.inserted;
        c.duplicates += result.duplicates;
        this.state.pendingFeedback += result.inserted;
        if (correcting) {
          c.corrections += result.inserted;
          this.state.pendingCorrections += result.inserted;
        }
        total.inserted += result.inserted;
        total.duplicates += result.duplicates;
      }
    } finally {
      this.persisting -= 1;
    }
    this.onPersisted(records);
    return total;
  }
}

function fieldsOf(schema: ZodObject, value: unknown, prefix: string): Fields {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidFeedback(describeZodError(result.error, value, prefix).message);
  return result.data as Fields;
}
