/**
 * optimize: runs the spec's optimizer on a dataset snapshot and stores the result as a new version
 * with its lineage. The student is the parent program without its demos, calibration or voters, so
 * every cycle starts from the instructions and re-selects them from the grown dataset.
 *
 * Resuming after a retry: the compile itself restarts, but it is seeded and every LM call it already
 * made is answered from the response cache, so the redone part costs no provider calls and yields
 * the same program. What the heartbeat checkpoint resumes is the finished result: once the version is
 * stored, a retried attempt (e.g. after a worker crash before completion was reported) returns it
 * without compiling again.
 */
import { z } from 'zod';
import { createArtifact } from '../core/artifact';
import { metricFromSpec } from '../core/metrics';
import { createOptimizer, type OptimizeProgress } from '../core/optimizers';
import { studentOf } from '../core/program';
import { parseTaskSpec } from '../core/task-spec';
import type { Deps } from './deps';
import { notFound } from './failures';
import { measureScore } from './gate';
import { activityLM } from './lm';
import { heartbeat, lastCheckpoint } from './progress';
import { activityProgressSchema, type KkachiActivities, type OptimizeSummary } from '../contract';

const summarySchema = z.object({
  versionId: z.string(),
  optimizer: z.string(),
  demos: z.number(),
  candidates: z.array(z.object({ label: z.string(), score: z.number() })),
  lmCalls: z.number(),
});

/** Progress while compiling; `summary` once the version is stored (the resumable result). */
const checkpointSchema = activityProgressSchema.extend({ summary: summarySchema.optional() });
type Checkpoint = z.output<typeof checkpointSchema>;

export function optimizeActivities({ store, cacheDir, modelsDir, heartbeatIntervalMs, metrics }: Deps): Pick<KkachiActivities, 'optimize'> {
  return {
    async optimize(rawSpec, { datasetId, parentVersionId, cycle }) {
      const spec = parseTaskSpec(rawSpec);
      // An unknown metric name fails before any LM work (a non-retryable ValidationError).
      const metric = metricFromSpec(spec.metric, metrics);
      const optimizer = createOptimizer(spec.optimizer);
      const resumed = lastCheckpoint(checkpointSchema)?.summary;
      if (resumed && (await store.getProgram(resumed.versionId))) return resumed;

      const snapshot = await store.getDataset(datasetId);
      if (!snapshot) throw notFound('dataset snapshot', datasetId);
      const parent = await store.getProgram(parentVersionId);
      if (!parent) throw notFound('program version', parentVersionId);

      let checkpoint: Checkpoint = { stage: 'start', done: 0, total: snapshot.train.length };
      const progress = heartbeat(heartbeatIntervalMs, () => checkpoint);
      const compile = async () => {
        const { lm, meter } = await activityLM(spec, { cacheDir, modelsDir });
        const result = await lm.guard(() =>
          optimizer.compile(
            studentOf(parent.program),
            {
              trainset: snapshot.train,
              // Random search scores candidates on val; an empty val falls back to the trainset (DSPy's default).
              valset: snapshot.val.length > 0 ? snapshot.val : undefined,
              lm,
              metric,
              // Only a measure or a recall floor the spec names changes the ranking; otherwise DSPy's mean metric score.
              ...((spec.gate.measure || spec.gate.recallFloor) && { score: measureScore(spec) }),
              seed: spec.optimizer.seed,
              onProgress: ({ stage, done, total }: OptimizeProgress) => {
                checkpoint = { stage, done, total };
                progress.beat();
              },
            },
          ),
        );
        return { result, lmCalls: meter.snapshot().calls };
      };
      const { result, lmCalls } = await compile().finally(() => progress.stop());

      const artifact = createArtifact(result.program, {
        parentId: parentVersionId,
        datasetId,
        optimizer: { name: optimizer.name, config: optimizer.config as Record<string, unknown>, seed: spec.optimizer.seed },
      });
      await store.putProgram(spec.name, artifact);
      await store.setCandidate(spec.name, artifact.id, { actor: 'kkachi', reason: `cycle ${cycle}: ${optimizer.name}` });

      const summary: OptimizeSummary = {
        versionId: artifact.id,
        optimizer: optimizer.name,
        demos: result.program.demos.length,
        candidates: result.candidates.map((c) => ({ label: c.label, score: c.score })),
        lmCalls,
      };
      checkpoint = { stage: 'stored', done: 1, total: 1, summary };
      progress.beat(true);
      return summary;
    },
  };
}
