/**
 * Plays the users of the deployed feature: each step takes one unseen sentence from the feedback
 * pool, asks the feature (`kkachi serve`: the registry's active version, real model) for a
 * prediction, and sends the gold label back as feedback on that prediction id — a correction when
 * the prediction was wrong, a confirmation when it was right. Every record is a real prediction.
 */
import type { Example, Fields } from '../core/types';
import type { FeatureClient } from './feature-client';

export interface SentFeedback {
  exampleId: string;
  predictionId: string;
  versionId: string;
  correction: boolean;
}

export interface VersionTally {
  sent: number;
  corrections: number;
}

export interface SimulatorCounts {
  /** Feedback records sent (corrections + confirmations). */
  sent: number;
  corrections: number;
  confirmations: number;
  /** Predictions that failed (LM error or unparseable reply): a user has nothing to confirm, so nothing is sent. */
  failed: number;
  /** Per answering version: how often it was right shows up as live accuracy. */
  byVersion: Record<string, VersionTally>;
}

export interface SimulatorOptions {
  feature: FeatureClient;
  pool: readonly Example[];
  /** Called when an answer comes from a different version than the one before. */
  onSwap?: (from: string | null, to: string) => void;
}

export class FeedbackSimulator {
  private cursor = 0;
  private lastVersion: string | null = null;
  readonly counts: SimulatorCounts = { sent: 0, corrections: 0, confirmations: 0, failed: 0, byVersion: {} };

  constructor(private readonly options: SimulatorOptions) {}

  /** Unseen sentences left in the pool. */
  remaining(): number {
    return this.options.pool.length - this.cursor;
  }

  /** One user interaction; null when the pool is used up or the prediction failed. */
  async step(): Promise<SentFeedback | null> {
    const example = this.options.pool[this.cursor];
    if (!example) return null;
    const served = await this.options.feature.predict(example.inputs);
    // Consumed only once a version answered (before the baseline is deployed nobody can).
    this.cursor += 1;
    if (served.versionId !== this.lastVersion) {
      this.options.onSwap?.(this.lastVersion, served.versionId);
      this.lastVersion = served.versionId;
    }
    if (!served.outputs) {
      this.counts.failed += 1;
      return null;
    }
    const predicted = pick(served.outputs, Object.keys(example.outputs));
    const correction = Object.keys(example.outputs).some((field) => predicted[field] !== example.outputs[field]);
    // By prediction id alone: the server takes input, answer and version from its prediction log.
    await this.options.feature.feedback(served.predictionId, example.outputs);

    const tally = (this.counts.byVersion[served.versionId] ??= { sent: 0, corrections: 0 });
    tally.sent += 1;
    this.counts.sent += 1;
    if (correction) {
      tally.corrections += 1;
      this.counts.corrections += 1;
    } else {
      this.counts.confirmations += 1;
    }
    return { exampleId: example.id, predictionId: served.predictionId, versionId: served.versionId, correction };
  }
}

/** The signature's output fields only (an adapter may parse extra keys out of a JSON reply). */
function pick(outputs: Fields, fields: readonly string[]): Fields {
  return Object.fromEntries(fields.filter((f) => f in outputs).map((f) => [f, outputs[f] as Fields[string]]));
}
