/**
 * evaluate: scores a version on one split of a dataset snapshot and stores the report. Finished rows
 * are checkpointed in the store (keyed by version, snapshot and split), so a retried attempt predicts
 * only the examples the last one had not finished (LM-error rows are redone: they hold no result). The
 * heartbeat carries only `ActivityProgress` numbers, so `temporal workflow describe` stays readable.
 * The scoring and the report's storage are shared with the sharded evaluation (./evaluate-shards.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { contentHash } from '../core/canonical';
import { evaluate, type EvalReport, type EvalRow } from '../core/evaluate';
import { fieldsSchema } from '../core/fields';
import { metricFromSpec } from '../core/metrics';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
import type { Deps } from './deps';
import { notFound } from './failures';
import { activityLM } from './lm';
import { recordEvaluation } from './metrics';
import { heartbeat, periodicSave } from './progress';
import type { ActivityProgress, EvalShard, EvalSummary, EvalTarget, KkachiActivities } from '../contract';

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
export const checkpointSchema = z.array(rowSchema);

/** Where the finished rows of one evaluation (or of one shard of it) are checkpointed in the store. */
export const evaluationCheckpointKey = (opts: EvalTarget, shard?: EvalShard): string =>
  `evaluate:${contentHash({ versionId: opts.versionId, datasetId: opts.datasetId, split: opts.split, ...(shard ? { shard: [shard.index, shard.size] } : {}) })}`;

/** Rows without the raw reply: the checkpoint holds what a report needs, not every model's whole answer. */
const slim = ({ raw: _raw, ...row }: EvalRow): EvalRow => row;

export interface Scored {
  report: EvalReport;
  lmCalls: number;
}

/** The examples of the target's split and the version's program; a missing one is a non-retryable NotFound. */
export async function loadTarget({ store }: Deps, opts: EvalTarget) {
  const snapshot = await store.getDataset(opts.datasetId);
  if (!snapshot) throw notFound('dataset snapshot', opts.datasetId);
  const artifact = await store.getProgram(opts.versionId);
  if (!artifact) throw notFound('program version', opts.versionId);
  return { examples: snapshot[opts.split], program: artifact.program };
}

/**
 * Scores `examples` with the program, resuming from and checkpointing to `key`; heartbeats progress.
 * Throws (retryably) when any prediction failed at the LM, after saving the rows that did not.
 */
export async function score(
  { store, cacheDir, modelsDir, heartbeatIntervalMs, metrics }: Deps,
  spec: TaskSpec,
  program: Parameters<typeof evaluate>[0],
  examples: Parameters<typeof evaluate>[1],
  key: string,
  shard?: ActivityProgress['shard'],
): Promise<Scored> {
  // An unknown metric name fails before any LM work (a non-retryable ValidationError).
  const metric = metricFromSpec(spec.metric, metrics);
  // Only rows of these examples count: a stale checkpoint must not leak into the report.
  const ids = new Set(examples.map((e) => e.id));
  const finished = new Map<string, EvalRow>();
  for (const row of parseJson(checkpointSchema, await store.getCheckpoint(key)) ?? []) if (ids.has(row.id) && row.errorKind !== 'lm') finished.set(row.id, row);

  const progressNow = (): ActivityProgress => {
    let correct = 0;
    for (const row of finished.values()) if (row.passed) correct += 1;
    return { stage: 'evaluate', done: finished.size, total: examples.length, correct, ...(shard && { shard }) };
  };
  const progress = heartbeat(heartbeatIntervalMs, progressNow);
  const checkpoint = periodicSave(heartbeatIntervalMs, () => store.putCheckpoint(key, JSON.stringify([...finished.values()].map(slim))));
  const started = Date.now();
  const resumed = finished.size;
  const run = async (): Promise<Scored> => {
    const { lm, meter } = await activityLM(spec, { cacheDir, modelsDir });
    const report = await lm.guard(() =>
      evaluate(program, examples, {
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
  const scored = await run().finally(async () => {
    progress.stop();
    await checkpoint.now();
  });
  recordEvaluation(spec.name, scored.report.n - resumed, Date.now() - started);
  progress.beat(true);
  const { errors, n } = scored.report;
  if (errors > 0) {
    // Scoring a transient outage as wrong answers would bias the gate: fail (retryably) and let the
    // next attempt redo only the failed rows.
    throw ApplicationFailure.retryable(`${errors} of ${n} predictions failed at the LM; the retry redoes only those`, 'LMUnavailable');
  }
  return scored;
}

/** Stores the report (content-addressed by its rows) and links it to the version. */
export async function saveReport({ store }: Deps, task: string, opts: EvalTarget, { report, lmCalls }: Scored): Promise<EvalSummary> {
  const { versionId, datasetId, split } = opts;
  const reportId = contentHash({ versionId, datasetId, split, rows: report.rows });
  await store.putReport(reportId, task, versionId, report);
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
}

/** Stored JSON of the expected shape, or null (absent, or unreadable: the work is then done again). */
export function parseJson<S extends z.ZodType>(schema: S, content: string | null): z.output<S> | null {
  if (content === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function evaluateActivities(deps: Deps): Pick<KkachiActivities, 'evaluate'> {
  const { store } = deps;
  return {
    async evaluate(rawSpec, opts) {
      const spec = parseTaskSpec(rawSpec);
      const { examples, program } = await loadTarget(deps, opts);
      const key = evaluationCheckpointKey(opts);
      const summary = await saveReport(deps, spec.name, opts, await score(deps, spec, program, examples, key));
      await store.deleteCheckpoint(key);
      return summary;
    },
  };
}
