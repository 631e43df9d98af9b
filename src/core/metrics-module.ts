/**
 * Custom metrics from a user module (the seed's `SentimentAccuracy` pattern): every exported function
 * is a metric registered under its export name, which a task spec names in `metric.name`. A function
 * may return `{score, passed}`, a boolean (DSPy style), or a number in [0, 1] (passes at ≥ 0.5, like
 * token F1). The edges (worker, CLI) decide which module to load; core never reads the environment.
 */
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { ValidationError } from './errors';
import { BUILT_IN_METRICS, type Metric, type MetricRegistry, type MetricResult } from './metrics';
import type { Example, Fields } from './types';

/** The field a bad module is reported under (how it was named is the caller's `label`). */
const FIELD = 'metrics module';

type UserMetric = (example: Example, outputs: Fields) => MetricResult | boolean | number;

function asMetricResult(name: string, value: unknown): MetricResult {
  if (typeof value === 'boolean') return { score: Number(value), passed: value };
  if (typeof value === 'number' && value >= 0 && value <= 1) return { score: value, passed: value >= 0.5 };
  if (value !== null && typeof value === 'object') {
    const { score, passed, details } = value as Partial<MetricResult>;
    if (typeof score === 'number' && score >= 0 && score <= 1 && typeof passed === 'boolean') {
      return typeof details === 'string' ? { score, passed, details } : { score, passed };
    }
  }
  throw new Error(`metric ${name} returned ${JSON.stringify(value)}; expected {score in [0, 1], passed}, a boolean, or a number in [0, 1]`);
}

/** A user function as a Metric: its result is checked, so a bad return value names the metric. */
export function userMetric(name: string, fn: UserMetric): Metric {
  return (example, outputs) => asMetricResult(name, fn(example, outputs));
}

/** The module's exported functions as metrics; a name that shadows a built-in is an error. */
export function metricsFromModule(moduleExports: unknown, where: string): MetricRegistry {
  const source = (moduleExports as { default?: unknown })?.default ?? moduleExports;
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw new ValidationError(FIELD, `${where}: a metrics module exports functions by name, got ${typeof source}`);
  }
  const registry: Record<string, Metric> = {};
  for (const [name, fn] of Object.entries(source as Record<string, unknown>)) {
    if (typeof fn !== 'function') continue;
    if ((BUILT_IN_METRICS as readonly string[]).includes(name)) {
      throw new ValidationError(FIELD, `${where}: "${name}" is a built-in metric; give the custom one another name`);
    }
    registry[name] = userMetric(name, fn as UserMetric);
  }
  if (Object.keys(registry).length === 0) throw new ValidationError(FIELD, `${where}: exports no metric function`);
  return registry;
}

/**
 * Loads a CommonJS module (or a compiled ESM one through `require`) relative to `baseDir`; errors name
 * it by `label` (how the user gave it, e.g. `KKACHI_METRICS_MODULE=./m.js`).
 */
export function loadMetricsModule(path: string, baseDir: string = process.cwd(), label: string = path): MetricRegistry {
  const file = isAbsolute(path) ? path : resolve(baseDir, path);
  let loaded: unknown;
  try {
    loaded = createRequire(file)(file);
  } catch (err) {
    throw new ValidationError(FIELD, `${label}: cannot load the metrics module (${(err as Error).message})`);
  }
  return metricsFromModule(loaded, label);
}
