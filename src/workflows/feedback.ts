/**
 * Feedback intake shared by the learner and the pipeline: validation against the task's signature,
 * deduplication by prediction id, batching, and counters that stay exact across continue-as-new.
 *
 * Counting happens after the store has answered: the store is unique by prediction id, so a duplicate
 * older than the in-memory window is still counted as a duplicate, never twice as received.
 *
 * Bounds, so that no traffic can jam a workflow on Temporal's 2 MB payload limit: every record is at
 * most the spec's `limits.feedbackBytes`; each persistFeedback call carries at most CHUNK_RECORDS
 * records and CHUNK_BYTES bytes, and PERSISTS_IN_FLIGHT calls run at once (every record costs history
 * twice, in its signal and in the call that stores it, so a run's history budget is spent fastest when
 * storing lags); at most CARRY_RECORDS / CARRY_BYTES of buffer travel across continue-as-new (the rest
 * is persisted first). A signal is never refused or dropped by the workflow — Temporal has already
 * written it to history — so the buffer may pass BUFFER_RECORDS / BUFFER_BYTES under a burst; then
 * updates are refused with a retryable `LearnerBusy` error until the flush loop catches up.
 */
import { ApplicationFailure, CancellationScope, condition, log, patched } from '@temporalio/workflow';
import type { ZodObject } from 'zod';
import {
  emptyFeedbackCounters,
  feedbackBatchSchema,
  feedbackSchema,
  feedbackSizeProblem,
  INVALID_FEEDBACK,
  LEARNER_BUSY,
  type FeedbackAck,
  type FeedbackBatchAck,
  type FeedbackCounters,
  type FeedbackRecord,
} from '../contract';
import { isCorrection } from '../core/correction';
import { boundedMessage, describeZodError } from '../core/errors';
import { jsonBytes } from '../core/size';
import { inputSchema, outputSchema, type Signature } from '../core/signature';
import type { Fields } from '../core/types';
import { storeActivities } from './activities';

/** Buffered records that start a flush at once, and how long a smaller batch may wait. */
export const BATCH_SIZE = 50;
export const FLUSH_DELAY_MS = 1_000;
/** One persistFeedback call's records and bytes at most (one record larger than CHUNK_BYTES goes alone). */
export const CHUNK_RECORDS = 500;
export const CHUNK_BYTES = 512 * 1024;
/** persistFeedback calls under way at once when flushing (histories recorded before PARALLEL_PERSIST_PATCH have one). */
export const PERSISTS_IN_FLIGHT = 4;
export const PARALLEL_PERSIST_PATCH = 'parallel-persist';
/** Past either bound the intake is busy: updates are refused (retryable) until the buffer drains. */
export const BUFFER_RECORDS = 20_000;
export const BUFFER_BYTES = 16 * 1024 * 1024;
/** submitFeedback updates being persisted at once at most (each holds its record until stored). */
export const UPDATES_IN_FLIGHT = 200;
/** Buffer carried across continue-as-new at most; more is persisted before the run ends. */
export const CARRY_RECORDS = 500;
export const CARRY_BYTES = 256 * 1024;
/** Histories recorded before the carry was re-checked right before continue-as-new hand over whatever was buffered. */
export const BOUNDED_CARRY_PATCH = 'bounded-carry';
/** A cancelled learner stores what it accepted (histories recorded before it dropped the buffer and in-flight chunks). */
export const STORE_ON_CANCEL_PATCH = 'store-accepted-on-cancel';

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

export interface IntakeOptions {
  /** Largest record in bytes (the spec's `limits.feedbackBytes`). */
  maxRecordBytes: number;
  /** True while the run is about to continue as new: updates are refused meanwhile, so they add no history to it. */
  closing?: () => boolean;
  /** After each store write, with the registry's active version as the store saw it (absent in old histories). */
  onPersisted?: (records: FeedbackRecord[], active: string | null | undefined) => void;
}

export class FeedbackIntake {
  private readonly recent: Set<string>;
  /** persistFeedback calls under way (the batching loop's and flush()'s may overlap). */
  private persisting = 0;
  private updatesInFlight = 0;
  /** Bytes of each buffered record, parallel to `state.buffer`, and their sum. */
  private readonly sizes: number[];
  private bufferBytes: number;
  private readonly inputs: ZodObject;
  private readonly outputs: ZodObject;

  constructor(
    private readonly task: string,
    signature: Signature,
    readonly state: IntakeState,
    private readonly options: IntakeOptions,
  ) {
    this.recent = new Set(state.recentIds);
    this.inputs = inputSchema(signature);
    this.outputs = outputSchema(signature);
    this.sizes = state.buffer.map((r) => jsonBytes(r));
    this.bufferBytes = this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Checks a payload's size, then its shape against the signature; throws InvalidFeedback naming the field. */
  validate(raw: unknown): FeedbackRecord {
    const oversized = feedbackSizeProblem(raw, this.options.maxRecordBytes);
    if (oversized) throw new InvalidFeedback(oversized);
    const base = feedbackSchema.safeParse(raw);
    if (!base.success) throw new InvalidFeedback(describeZodError(base.error, raw).message);
    const p = base.data;
    return {
      predictionId: p.predictionId,
      input: fieldsOf(this.inputs, p.input, 'input'),
      predicted: fieldsOf(this.outputs, p.predicted, 'predicted'),
      correct: fieldsOf(this.outputs, p.correct, 'correct'),
      // Without one, persistFeedback stamps the registry's active version when it stores the record.
      versionId: p.versionId ?? null,
      receivedAt: Date.now(),
    };
  }

  /**
   * Signal path: never throws; malformed feedback is counted and logged, valid feedback buffered.
   * Answers what became of the record: taken, a duplicate, or the reason it was rejected.
   */
  offer(raw: unknown): 'taken' | 'duplicate' | { rejected: string } {
    let record: FeedbackRecord;
    try {
      record = this.validate(raw);
    } catch (err) {
      return { rejected: this.reject(err) };
    }
    if (this.isDuplicate(record.predictionId)) return 'duplicate';
    const size = jsonBytes(record);
    this.state.buffer.push(record);
    this.sizes.push(size);
    this.bufferBytes += size;
    return 'taken';
  }

  /**
   * Batch path (signal or update): each record is offered on its own; a batch that is not a list of
   * records counts as one rejection (the update's validator refuses it first).
   */
  offerBatch(raw: unknown): FeedbackBatchAck {
    const ack: FeedbackBatchAck = { taken: 0, duplicates: 0, rejected: [] };
    const batch = feedbackBatchSchema.safeParse(raw);
    if (!batch.success) {
      ack.rejected.push({ index: -1, error: this.reject(new InvalidFeedback(describeZodError(batch.error, raw, 'feedbackBatch').message)) });
      return ack;
    }
    batch.data.records.forEach((record, index) => {
      const outcome = this.offer(record);
      if (outcome === 'taken') ack.taken += 1;
      else if (outcome === 'duplicate') ack.duplicates += 1;
      else ack.rejected.push({ index, error: outcome.rejected });
    });
    return ack;
  }

  /** The update's validator: refuses a busy intake (retryable) and invalid feedback, before any state changes. */
  validateUpdate(raw: unknown): void {
    this.refuseWhileBusy();
    this.validate(raw);
  }

  /** The batch update's validator: refuses a busy intake (retryable) and a batch that is not a list of records. */
  validateBatchUpdate(raw: unknown): void {
    this.refuseWhileBusy();
    const batch = feedbackBatchSchema.safeParse(raw);
    if (!batch.success) throw new InvalidFeedback(describeZodError(batch.error, raw, 'feedbackBatch').message);
  }

  private refuseWhileBusy(): void {
    if (this.busy()) {
      throw ApplicationFailure.retryable(
        `learner busy: ${this.state.buffer.length} records (${this.bufferBytes} bytes) and ${this.updatesInFlight} updates waiting to be stored; retry shortly`,
        LEARNER_BUSY,
      );
    }
    if (this.options.closing?.()) throw ApplicationFailure.retryable('learner busy: continuing as new; retry shortly', LEARNER_BUSY);
  }

  /** Update path: persists at once so the ack says exactly whether the record was new. */
  async submit(raw: unknown): Promise<FeedbackAck> {
    const record = this.validate(raw);
    const predictionId = record.predictionId;
    if (this.isDuplicate(predictionId)) return { accepted: false, duplicate: true, predictionId };
    this.updatesInFlight += 1;
    try {
      const result = await this.persist([record]);
      return { accepted: result.inserted === 1, duplicate: result.duplicates === 1, predictionId };
    } finally {
      this.updatesInFlight -= 1;
    }
  }

  /** Past the buffer's bounds, or with too many updates under way. */
  busy(): boolean {
    return this.state.buffer.length >= BUFFER_RECORDS || this.bufferBytes >= BUFFER_BYTES || this.updatesInFlight >= UPDATES_IN_FLIGHT;
  }

  /**
   * Persists what is buffered at the call, chunk by chunk, and waits for saves already under way, so
   * that what was accepted before the call is in the store when it returns (a dataset snapshot taken
   * next contains it). Records arriving meanwhile wait for the next flush.
   */
  async flush(): Promise<void> {
    let left = this.state.buffer.length;
    await this.persistChunks(() => left, (taken) => (left -= taken));
    await condition(() => this.persisting === 0);
  }

  /** Whether what is buffered may travel across continue-as-new as it is. */
  withinCarry(): boolean {
    return this.state.buffer.length <= CARRY_RECORDS && this.bufferBytes <= CARRY_BYTES;
  }

  /** Persists from the front of the buffer until the rest fits the carry bounds, and waits for every save under way. */
  async drainToCarry(): Promise<void> {
    await this.persistChunks(() => (this.withinCarry() ? 0 : CHUNK_RECORDS));
    await condition(() => this.persisting === 0);
  }

  /**
   * Flushes on batch size or after FLUSH_DELAY_MS. Once `stopping()`, flushes what is buffered, then
   * keeps persisting chunks until what is left fits the carry bounds, and returns: under steady traffic
   * the buffer is never empty, so waiting for that would never end; the rest stays in `state.buffer`
   * for the caller to carry.
   */
  async run(stopping: () => boolean): Promise<void> {
    while (!stopping()) {
      await condition(() => this.state.buffer.length > 0 || stopping());
      await condition(() => this.state.buffer.length >= BATCH_SIZE || stopping(), FLUSH_DELAY_MS);
      await this.flush();
    }
    await this.drainToCarry();
  }

  resetPending(): void {
    this.state.pendingCorrections = 0;
    this.state.pendingFeedback = 0;
  }

  /** Counts and logs a rejected record; returns the short reason. */
  private reject(err: unknown): string {
    this.state.counters.rejected += 1;
    const error = boundedMessage((err as Error).message);
    log.warn('feedback rejected', { task: this.task, error });
    return error;
  }

  /**
   * Persists chunks from the front of the buffer, each of at most `wanted()` records (0: stop taking),
   * with up to PERSISTS_IN_FLIGHT calls under way; returns when the chunks it took are stored.
   */
  private async persistChunks(wanted: () => number, taken: (n: number) => void = () => undefined): Promise<void> {
    const limit = patched(PARALLEL_PERSIST_PATCH) ? PERSISTS_IN_FLIGHT : 1;
    let running = 0;
    let failure: { error: unknown } | undefined;
    for (;;) {
      await condition(() => running < limit || failure !== undefined);
      const max = wanted();
      if (max <= 0 || failure || this.state.buffer.length === 0) break;
      const chunk = this.takeChunk(max);
      taken(chunk.length);
      running += 1;
      this.persist(chunk)
        .catch((error: unknown) => (failure ??= { error }))
        .finally(() => (running -= 1));
    }
    await condition(() => running === 0);
    if (failure) throw failure.error;
  }

  /** Takes from the front of the buffer at most `max` records within CHUNK_RECORDS and CHUNK_BYTES (at least one). */
  private takeChunk(max: number): FeedbackRecord[] {
    let n = 0;
    let bytes = 0;
    while (n < Math.min(max, CHUNK_RECORDS, this.sizes.length) && (n === 0 || bytes + (this.sizes[n] as number) <= CHUNK_BYTES)) {
      bytes += this.sizes[n] as number;
      n += 1;
    }
    this.sizes.splice(0, n);
    this.bufferBytes -= bytes;
    return this.state.buffer.splice(0, n);
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
    let active: string | null | undefined;
    const store = async (group: FeedbackRecord[], correcting: boolean): Promise<void> => {
      if (group.length === 0) return;
      // Never cancelled (patched): records taken from the buffer are stored even when the learner is being cancelled.
      const call = () => storeActivities.persistFeedback(this.task, group);
      const result = await (patched(STORE_ON_CANCEL_PATCH) ? CancellationScope.nonCancellable(call) : call());
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
      active = result.active;
    };
    this.persisting += 1;
    try {
      if (patched(PARALLEL_PERSIST_PATCH)) {
        const failed = (await Promise.allSettled([store(corrections, true), store(confirmations, false)])).find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      } else for (const [group, correcting] of [[corrections, true], [confirmations, false]] as const) await store(group, correcting);
    } finally {
      this.persisting -= 1;
    }
    this.options.onPersisted?.(records, active);
    return total;
  }
}

function fieldsOf(schema: ZodObject, value: unknown, prefix: string): Fields {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidFeedback(describeZodError(result.error, value, prefix).message);
  return result.data as Fields;
}
