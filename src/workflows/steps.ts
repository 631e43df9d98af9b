/** Stages shared by the optimization cycle and the seven-stage pipeline. */
import { ActivityFailure, ApplicationFailure, patched } from '@temporalio/workflow';
import { STALE_ACTIVE_VERSION, type DatasetSummary, type EvalSummary, type OptimizeSummary, type PointerChange } from '../contract';
import { DEFAULT_EVAL_SHARD_SIZE, type TaskSpec } from '../core/task-spec';
import { datasetActivities, lmActivities, storeActivities } from './activities';
import { markProgress } from './search-attributes';

export interface Optimized {
  dataset: DatasetSummary;
  optimized: OptimizeSummary;
}

/** Snapshot seed examples + corrections, then compile a candidate from the parent version. */
export async function buildAndOptimize(spec: TaskSpec, cycle: number, parentVersionId: string): Promise<Optimized> {
  markProgress({ stage: 'build-dataset' });
  const dataset = await datasetActivities.buildDataset(spec, { cycle });
  markProgress({ stage: 'optimize' });
  const optimized = await lmActivities.optimize(spec, { datasetId: dataset.datasetId, parentVersionId, cycle });
  return { dataset, optimized };
}

/** Evaluates one version on a split of a snapshot (versions on one snapshot pair up by example). */
export function evaluateOn(spec: TaskSpec, datasetId: string, versionId: string, split: 'val' | 'holdout'): Promise<EvalSummary> {
  return lmActivities.evaluate(spec, { versionId, datasetId, split });
}

/** The `patched()` id of sharded evaluation (cycles recorded before it ran one `evaluate`). */
export const SHARDED_EVALUATION_PATCH = 'sharded-evaluation';

/**
 * Evaluates one version on a split like `evaluateOn`; a split larger than the spec's shard size runs
 * as shards in parallel — activities any worker may take — joined into the same report.
 */
export async function evaluateSharded(spec: TaskSpec, dataset: DatasetSummary, versionId: string, split: 'val' | 'holdout'): Promise<EvalSummary> {
  const shardSize = spec.evaluation?.shardSize ?? DEFAULT_EVAL_SHARD_SIZE;
  const shards = Math.ceil(dataset[split] / shardSize);
  if (!patched(SHARDED_EVALUATION_PATCH) || shards <= 1) return evaluateOn(spec, dataset.datasetId, versionId, split);
  const target = { versionId, datasetId: dataset.datasetId, split };
  await Promise.all(Array.from({ length: shards }, (_, index) => lmActivities.evaluateShard(spec, { ...target, shard: { index, size: shardSize } })));
  return storeActivities.mergeEvaluation(spec, { ...target, shardSize, shards });
}

/** Promote by compare-and-set; a pointer moved by someone else is an answer (`conflict`), not a crash. */
export async function promoteVersion(
  task: string,
  opts: { versionId: string; expectedActive: string; actor: string; reason: string },
): Promise<{ change: PointerChange } | { conflict: string }> {
  try {
    return { change: await storeActivities.promote(task, opts) };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === STALE_ACTIVE_VERSION) return { conflict: cause.message };
    throw err;
  }
}
