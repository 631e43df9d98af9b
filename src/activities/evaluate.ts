/**
 * evaluate: scores a version on one split of a dataset snapshot and stores the report. Finished rows
 * are checkpointed in the store (keyed by version, snapshot and split), so a retried attempt predicts
 * only the examples the last one had not finished (LM-error rows are redone: they hold no result). The
 * heartbeat carries only `ActivityProgress` numbers, so `temporal workflow describe` stays readable.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { contentHash } from '../core/canonical';
import { evaluate, type EvalRow } from '../core/evaluate';
import { fieldsSchema } from '../core/fields';
import { metricFromSpec } from '../core/metrics';
import { parseTaskSpec } from '../core/task-spec';
import type { Deps } from './deps';
import { notFound } from './failures';
import { activityLM } from './lm';
import { recordEvaluation } from './metrics';
import { heartbeat, periodicSave } from './progress';
import type { ActivityProgress, KkachiActivities } from '../contract';

const rowSchema = z.object({
  id: z.string(),
  outputs: fieldsSchema.nullable(),
  expected: fieldsSchema.optional(),
  raw: z.string().optional(),
  score: z.number(),
  passed: z.boolean(),
  latencyMs: z.number(),
  cached: z.boolean(),
  error: z.string().optional(),
  errorKind: z.enum(['lm', 'parse', 'metric']).optional(),
});
const checkpointSchema = z.array(rowSchema);

/** Where the finished rows of one evaluation are checkpointed in the store. */
export const evaluationCheckpointKey = (opts: { versionId: string; datasetId: string; split: string }): string =>
  `evaluate:${contentHash({ versionId: opts.versionId, datasetId: opts.datasetId, split: opts.split })}`;

function parseCheckpoint(content: string | null): EvalRow[] {
  if (content === null) return [];
  try {
    const parsed = checkpointSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : [];
  } catch {
    return []; // An unreadable checkpoint only costs redoing the work.
  }
}

/** Rows without the raw reply: the checkpoint holds what a report needs, not every model's whole answer. */
const slim = ({ raw: _raw, ...row }: EvalRow): EvalRow => row;

export function evaluateActivities({ store, cacheDir, modelsDir, heartbeatIntervalMs, metrics }: Deps): Pick<KkachiActivities, 'evaluate'> {
  return {
    async evaluate(rawSpec, { versionId, datasetId, split }) {
      const spec = parseTaskSpec(rawSpec);
      // An unknown metric name fails before any LM work (a non-retryable ValidationError).
      const metric = metricFromSpec(spec.metric, metrics);
      const snapshot = await store.getDataset(datasetId);
      if (!snapshot) throw notFound('dataset snapshot', datasetId);
      const artifact = await store.getProgram(versionId);
      if (!artifact) throw notFound('program version', versionId);
      const examples = snapshot[split];

      // Only rows of examples in this split count: a stale checkpoint must not leak into the report.
      const ids = new Set(examples.map((e) => e.id));
      const finished = new Map<string, EvalRow>();
      const key = evaluationCheckpointKey({ versionId, datasetId, split });
      for (const row of parseCheckpoint(await store.getCheckpoint(key))) if (ids.has(row.id) && row.errorKind !== 'lm') finished.set(row.id, row);

      const progressNow = (): ActivityProgress => {
        let correct = 0;
        for (const row of finished.values()) if (row.passed) correct += 1;
        return { stage: 'evaluate', done: finished.size, total: examples.length, correct };
      };
      const progress = heartbeat(heartbeatIntervalMs, progressNow);
      const checkpoint = periodicSave(heartbeatIntervalMs, () => store.putCheckpoint(key, JSON.stringify([...finished.values()].map(slim))));
      const started = Date.now();
      const resumed = finished.size;
      const run = async () => {
        const { lm, meter } = await activityLM(spec, { cacheDir, modelsDir });
        const report = await lm.guard(() =>
          evaluate(artifact.program, examples, {
            lm,
            metric,
            resume: [...finished.values()],
            onProgress: ({ row }) => {
              if (row.errorKind !== 'lm') finished.set(row.id, row);
              progress.beat();
              checkpoint.maybe();
            },
          }),
        );
        return { report, lmCalls: meter.snapshot().calls };
      };
      // Saved also when the run fails (an exhausted error budget): the retry resumes from these rows.
      const { report, lmCalls } = await run().finally(async () => {
        progress.stop();
        await checkpoint.now();
      });
      recordEvaluation(spec.name, report.n - resumed, Date.now() - started);
      progress.beat(true);
      if (report.errors > 0) {
        // Scoring a transient outage as wrong answers would bias the gate: fail (retryably) and let the
        // next attempt redo only the failed rows.
        throw ApplicationFailure.retryable(`${report.errors} of ${report.n} predictions failed at the LM; the retry redoes only those`, 'LMUnavailable');
      }

      const reportId = contentHash({ versionId, datasetId, split, rows: report.rows });
      await store.putReport(reportId, spec.name, versionId, report);
      await store.linkEvalReport(versionId, reportId);
      await store.deleteCheckpoint(key);
      return {
        reportId,
        versionId,
        split,
        n: report.n,
        accuracy: report.passRate,
        p50Ms: report.latency.p50,
        p95Ms: report.latency.p95,
        lmCalls,
        errors: report.errors,
      };
    },
  };
}
