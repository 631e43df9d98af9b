/**
 * Plays the users of the deployed feature: each step takes one unseen example from the feedback
 * pool, asks the feature (`kkachi serve`: the registry's active version, real model) for a
 * prediction, and sends what the user holds right back as feedback on that prediction id — by
 * default the gold outputs: a correction when the prediction was wrong, a confirmation when it was
 * right. Every record is a real prediction.
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

/** One answered example: what the version said and what the user held right. */
export interface Answered {
  versionId: string;
  example: Example;
  predicted: Fields;
  correct: Fields;
}

/**
 * The output fields a user sends as right for an answer. A user never corrects an answer to itself:
 * returning `predicted` is a confirmation.
 */
export type Judge = (example: Example, predicted: Fields, versionId: string) => Fields;

/** The default user: the gold outputs are right. */
export const goldJudge: Judge = (example) => example.outputs;

export interface SimulatorOptions {
  feature: FeatureClient;
  pool: readonly Example[];
  /** How a user decides what is right (default: the gold outputs). */
  judge?: Judge;
  /** Called after each feedback record is accepted. */
  onAnswered?: (answered: Answered) => void;
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
    const correct = (this.options.judge ?? goldJudge)(example, predicted, served.versionId);
    const correction = Object.keys(correct).some((field) => JSON.stringify(predicted[field]) !== JSON.stringify(correct[field]));
    // By prediction id alone: the server takes input, answer and version from its prediction log.
    await this.options.feature.feedback(served.predictionId, correct);
    this.options.onAnswered?.({ versionId: served.versionId, example, predicted, correct });

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
