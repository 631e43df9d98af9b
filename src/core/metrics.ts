/**
 * Metrics score one prediction against one labelled example. A user-defined metric is any function
 * of this shape, registered with the worker by name (`KKACHI_METRICS_MODULE`). A field with several
 * accepted gold answers (`example.alternatives`) scores the best of them.
 */
import { z } from 'zod';
import { ValidationError } from './errors';
import type { Example, Fields } from './types';

export interface MetricResult {
  /** In [0, 1]. */
  score: number;
  passed: boolean;
  details?: string;
}

export type Metric = (example: Example, outputs: Fields) => MetricResult;

/** Metrics registered by name beside the built-in ones (a user module's exports). */
export type MetricRegistry = Readonly<Record<string, Metric>>;

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

/** Every accepted gold answer of a field: the listed alternatives, else the one value. */
function alternatives(example: Example, name: string): string[] {
  return example.alternatives?.[name] ?? [String(example.outputs[name])];
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
    const best = Math.max(...alternatives(example, name).map((g) => score(String(predicted), g)));
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

export const BUILT_IN_METRICS = ['exact_match', 'token_f1', 'label_accuracy'] as const;

/** A metric's name: a built-in one or a name registered with the worker (a JS identifier, like DSPy's metric functions). */
export const metricNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a metric name is a built-in (exact_match, token_f1, label_accuracy) or an identifier registered with the worker');

export const metricSpecSchema = z.object({
  name: metricNameSchema,
  field: z.string().optional(),
});
export type MetricSpec = z.infer<typeof metricSpecSchema>;

/** The built-in metric, or the registered one of that name; an unknown name is an error that lists what exists. */
export function metricFromSpec(spec: MetricSpec, registry: MetricRegistry = {}): Metric {
  switch (spec.name) {
    case 'exact_match':
      return exactMatch(spec.field);
    case 'token_f1':
      return tokenF1(spec.field);
    case 'label_accuracy':
      return labelAccuracy(spec.field);
  }
  const custom = Object.hasOwn(registry, spec.name) ? registry[spec.name] : undefined;
  if (custom) return custom;
  const registered = Object.keys(registry);
  throw new ValidationError(
    'metric.name',
    `metric.name: unknown metric "${spec.name}"; built-in: ${BUILT_IN_METRICS.join(', ')}; ` +
      (registered.length > 0 ? `registered: ${registered.join(', ')}` : 'none registered (set KKACHI_METRICS_MODULE to a module that exports metric functions)'),
  );
}
