/** What the activities need from the process that hosts them (the worker, or a test). */
import { join, resolve } from 'node:path';
import { loadMetricsModule } from '../core/metrics-module';
import type { MetricRegistry } from '../core/metrics';
import { modelsDir } from '../models/location';
import type { Store } from '../store';

export interface ActivityDeps {
  store: Store;
  /** LM response cache; absent: `<KKACHI_HOME or .kkachi>/cache`; null: no cache. */
  cacheDir?: string | null;
  /** Where catalogue models are installed (default: `KKACHI_MODELS_DIR`, else `<KKACHI_HOME>/models`). */
  modelsDir?: string;
  /** Environment for defaults and for redaction of secrets (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where relative dataset paths and `npm:` packages resolve (default: the working directory). */
  baseDir?: string;
  /** Least time between two progress heartbeats (default 1 s). */
  heartbeatIntervalMs?: number;
  /** Custom metrics by name, which a spec's `metric.name` may use (default: the module `KKACHI_METRICS_MODULE` names). */
  metrics?: MetricRegistry;
}

export interface Deps {
  store: Store;
  cacheDir: string | null;
  modelsDir: string;
  env: NodeJS.ProcessEnv;
  baseDir: string;
  heartbeatIntervalMs: number;
  metrics: MetricRegistry;
}

export function resolveDeps(deps: ActivityDeps): Deps {
  const env = deps.env ?? process.env;
  return {
    store: deps.store,
    cacheDir: deps.cacheDir === undefined ? resolve(join(env.KKACHI_HOME || '.kkachi', 'cache')) : deps.cacheDir,
    modelsDir: deps.modelsDir ?? modelsDir(env),
    env,
    baseDir: deps.baseDir ?? process.cwd(),
    heartbeatIntervalMs: deps.heartbeatIntervalMs ?? 1_000,
    metrics: deps.metrics ?? metricsFromEnv(env, deps.baseDir),
  };
}

export const METRICS_MODULE_ENV = 'KKACHI_METRICS_MODULE';

/** Custom metrics from the module `KKACHI_METRICS_MODULE` names (relative to `baseDir`), or none. */
export function metricsFromEnv(env: NodeJS.ProcessEnv, baseDir?: string): MetricRegistry {
  const path = env[METRICS_MODULE_ENV];
  return path ? loadMetricsModule(path, baseDir, `${METRICS_MODULE_ENV}=${path}`) : {};
}

/** Values that must never appear in a failure message or log line. */
export function secretsOf(env: NodeJS.ProcessEnv): string[] {
  return [env.OPENAI_API_KEY, process.env.OPENAI_API_KEY].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
