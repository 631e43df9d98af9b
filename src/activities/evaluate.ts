/**
 * evaluate: scores a version on one split of a dataset snapshot and stores the report. Finished rows
 * travel in the heartbeat, so a retried attempt predicts only the examples the last one had not
 * finished (LM-error rows are redone: they hold no result).
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
import { heartbeat, lastCheckpoint } from './progress';
import type { KkachiActivities } from '../contract';

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
const checkpointSchema = z.object({ stage: z.literal('evaluate'), done: z.number(), total: z.number(), rows: z.array(rowSchema) });
type Checkpoint = z.output<typeof checkpointSchema>;

/** Rows without the raw reply: heartbeat details should stay far below the payload limit. */
const slim = ({ raw: _raw, ...row }: EvalRow): EvalRow => row;

export function evaluateActivities({ store, cacheDir, heartbeatIntervalMs, metrics }: Deps): Pick<KkachiActivities, 'evaluate'> {
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
      for (const row of lastCheckpoint(checkpointSchema)?.rows ?? []) if (ids.has(row.id) && row.errorKind !== 'lm') finished.set(row.id, row);

      const checkpoint = (): Checkpoint => ({ stage: 'evaluate', done: finished.size, total: examples.length, rows: [...finished.values()].map(slim) });
      const progress = heartbeat(heartbeatIntervalMs, checkpoint);
      const run = async () => {
        const { lm, meter } = await activityLM(spec, cacheDir);
        const report = await lm.guard(() =>
          evaluate(artifact.program, examples, {
            lm,
            metric,
            resume: [...finished.values()],
            onProgress: ({ row }) => {
              if (row.errorKind !== 'lm') finished.set(row.id, row);
              progress.beat();
            },
          }),
        );
        return { report, lmCalls: meter.snapshot().calls };
      };
      const { report, lmCalls } = await run().finally(() => progress.stop());
      progress.beat(true);
      if (report.errors > 0) {
        // Scoring a transient outage as wrong answers would bias the gate: fail (retryably) and let the
        // next attempt redo only the failed rows.
        throw ApplicationFailure.retryable(`${report.errors} of ${report.n} predictions failed at the LM; the retry redoes only those`, 'LMUnavailable');
      }

      const reportId = contentHash({ versionId, datasetId, split, rows: report.rows });
      await store.putReport(reportId, spec.name, versionId, report);
      await store.linkEvalReport(versionId, reportId);
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
