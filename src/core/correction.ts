/**
 * The one rule for "this feedback record is a correction", used by the learner (its counters and
 * retrain trigger) and by the store (the `is_correction` column behind live accuracy, drift and the
 * rollback check), so the two can never disagree.
 */
import type { Fields } from './types';

/**
 * True when the user's answer differs from the prediction on a field the answer names. Fields only
 * the prediction carries (an extra `confidence`, say) are not the user's judgement and never count.
 * Values compare exactly: feedback is coerced by the task's signature before it is accepted (an enum
 * label "Positive" becomes "positive"), and free text may differ in case on purpose.
 */
export function isCorrection(predicted: Fields, correct: Fields): boolean {
  return Object.entries(correct).some(([field, value]) => predicted[field] !== value);
}
