/**
 * Metrics score one prediction against one labelled example. A user-defined metric is any function
 * of this shape. Gold values may list alternatives separated by "|||" (any of them counts).
 */
import { z } from 'zod';
import type { Example, FieldValue, Fields } from './types';

export interface MetricResult {
  /** In [0, 1]. */
  score: number;
  passed: boolean;
  details?: string;
}

export type Metric = (example: Example, outputs: Fields) => MetricResult;

export const ALTERNATIVES_SEPARATOR = '|||';

/** SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter((token) => token !== '')
    .join(' ');
}

/** SQuAD token-overlap F1 between a prediction and one gold answer. */
export function f1Score(prediction: string, gold: string): number {
  const predTokens = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const goldTokens = normalizeAnswer(gold).split(' ').filter(Boolean);
  if (predTokens.length === 0 || goldTokens.length === 0) return predTokens.length === goldTokens.length ? 1 : 0;
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      common++;
      goldCounts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predTokens.length;
  const recall = common / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

function goldField(example: Example, field: string | undefined): string {
  const name = field ?? Object.keys(example.outputs)[0];
  if (name === undefined) throw new Error(`Example ${example.id} has no output field to score against`);
  return name;
}

function alternatives(value: FieldValue): string[] {
  return String(value).split(ALTERNATIVES_SEPARATOR);
}

/**
 * The shared shape of the built-in metrics: best score over the gold alternatives of one field;
 * a prediction without the field scores 0.
 */
function fieldMetric(
  field: string | undefined,
  score: (predicted: string, gold: string) => number,
  passes: (score: number) => boolean,
): Metric {
  return (example, outputs) => {
    const name = goldField(example, field);
    const gold = example.outputs[name];
    if (gold === undefined) throw new Error(`Example ${example.id} has no output field "${name}"`);
    const predicted = outputs[name];
    if (predicted === undefined) return { score: 0, passed: false, details: `prediction has no field "${name}"` };
    const best = Math.max(...alternatives(gold).map((g) => score(String(predicted), g)));
    const passed = passes(best);
    return passed ? { score: best, passed } : { score: best, passed, details: `expected ${JSON.stringify(String(gold))}, got ${JSON.stringify(String(predicted))}` };
  };
}

/** 1 when the normalised prediction equals a normalised gold alternative. */
export function exactMatch(field?: string): Metric {
  return fieldMetric(field, (p, g) => (normalizeAnswer(p) === normalizeAnswer(g) ? 1 : 0), (s) => s === 1);
}

/** SQuAD token F1 (best over alternatives); passes at `passThreshold`. */
export function tokenF1(field?: string, passThreshold = 0.5): Metric {
  return fieldMetric(field, f1Score, (s) => s >= passThreshold);
}

/** Classification accuracy: trimmed, case-insensitive label equality. */
export function labelAccuracy(field?: string): Metric {
  return fieldMetric(field, (p, g) => (p.trim().toLowerCase() === g.trim().toLowerCase() ? 1 : 0), (s) => s === 1);
}

export const metricSpecSchema = z.object({
  name: z.enum(['exact_match', 'token_f1', 'label_accuracy']),
  field: z.string().optional(),
});
export type MetricSpec = z.infer<typeof metricSpecSchema>;

export function metricFromSpec(spec: MetricSpec): Metric {
  switch (spec.name) {
    case 'exact_match':
      return exactMatch(spec.field);
    case 'token_f1':
      return tokenF1(spec.field);
    case 'label_accuracy':
      return labelAccuracy(spec.field);
  }
}
