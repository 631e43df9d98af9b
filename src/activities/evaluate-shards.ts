/**
 * evaluateShard + mergeEvaluation: one evaluation in bounded chunks that several workers share. A shard
 * scores its slice as `evaluate` scores a split (checkpoints, resume, heartbeats) and keeps its rows in
 * the store; the merge joins every shard's rows in dataset order into exactly the report `evaluate`
 * would have stored (same rows, so the same content id, accuracy and latency percentiles).
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { evalSummarySchema, type EvalShard, type EvalTarget, type KkachiActivities } from '../contract';
import { contentHash } from '../core/canonical';
import { reportFromRows, type EvalRow, type EvalUsage } from '../core/evaluate';
import { parseTaskSpec } from '../core/task-spec';
import type { Deps } from './deps';
import { checkpointSchema, evaluationCheckpointKey, loadTarget, parseJson, saveReport, score } from './evaluate';

const usageSchema = z.object({ predictions: z.number(), promptTokens: z.number(), completionTokens: z.number(), cacheHits: z.number(), errors: z.number() });
/** A finished shard: its rows (with the raw replies, as a fresh `evaluate` report has them) and its LM work. */
const shardResultSchema = z.object({ rows: checkpointSchema, usage: usageSchema, lmCalls: z.number() });

/** Where a finished shard's rows wait for the merge. */
const shardResultKey = (opts: EvalTarget, shard: EvalShard): string => `evaluated-shard:${evaluationCheckpointKey(opts, shard).slice('evaluate:'.length)}`;
/** Where the merge leaves its summary, so a retry after the shards' rows are cleared answers the same. */
const mergedKey = ({ versionId, datasetId, split }: EvalTarget, shardSize: number): string => `evaluated:${contentHash({ versionId, datasetId, split, shardSize })}`;

const NO_USAGE: EvalUsage = { predictions: 0, promptTokens: 0, completionTokens: 0, cacheHits: 0, errors: 0 };
const addUsage = (a: EvalUsage, b: EvalUsage): EvalUsage => ({
  predictions: a.predictions + b.predictions,
  promptTokens: a.promptTokens + b.promptTokens,
  completionTokens: a.completionTokens + b.completionTokens,
  cacheHits: a.cacheHits + b.cacheHits,
  errors: a.errors + b.errors,
});

const shardSummary = (index: number, rows: EvalRow[], lmCalls: number) => ({ index, n: rows.length, correct: rows.filter((r) => r.passed).length, lmCalls });

export function evaluateShardActivities(deps: Deps): Pick<KkachiActivities, 'evaluateShard' | 'mergeEvaluation'> {
  const { store } = deps;
  return {
    async evaluateShard(rawSpec, opts) {
      const spec = parseTaskSpec(rawSpec);
      const { shard } = opts;
      const resultKey = shardResultKey(opts, shard);
      // Done already (a retry after the result was stored): nothing to predict again.
      const done = parseJson(shardResultSchema, await store.getCheckpoint(resultKey));
      if (done) return shardSummary(shard.index, done.rows, done.lmCalls);

      const { examples, program } = await loadTarget(deps, opts);
      const slice = examples.slice(shard.index * shard.size, (shard.index + 1) * shard.size);
      if (slice.length === 0) {
        throw ApplicationFailure.nonRetryable(`shard ${shard.index} of size ${shard.size} is past the end of the ${opts.split} split (${examples.length} examples)`, 'InvalidShard');
      }
      const key = evaluationCheckpointKey(opts, shard);
      const { report, lmCalls } = await score(deps, spec, program, slice, key, { index: shard.index, of: Math.ceil(examples.length / shard.size) });
      await store.putCheckpoint(resultKey, JSON.stringify({ rows: report.rows, usage: report.usage, lmCalls }));
      await store.deleteCheckpoint(key);
      return shardSummary(shard.index, report.rows, lmCalls);
    },

    async mergeEvaluation(rawSpec, opts) {
      const spec = parseTaskSpec(rawSpec);
      const shards = Array.from({ length: opts.shards }, (_, index) => ({ index, size: opts.shardSize }));
      const doneKey = mergedKey(opts, opts.shardSize);
      let summary = parseJson(evalSummarySchema, await store.getCheckpoint(doneKey));
      if (!summary) {
        const rows: EvalRow[] = [];
        let usage = NO_USAGE;
        let lmCalls = 0;
        for (const shard of shards) {
          const result = parseJson(shardResultSchema, await store.getCheckpoint(shardResultKey(opts, shard)));
          if (!result) throw ApplicationFailure.nonRetryable(`evaluation shard ${shard.index} of ${opts.shards} has no stored result; run evaluateShard first`, 'MissingShard');
          rows.push(...result.rows);
          usage = addUsage(usage, result.usage);
          lmCalls += result.lmCalls;
        }
        const { examples } = await loadTarget(deps, opts);
        if (rows.length !== examples.length) {
          throw ApplicationFailure.nonRetryable(`evaluation shards hold ${rows.length} rows for a ${opts.split} split of ${examples.length} examples`, 'MissingShard');
        }
        summary = await saveReport(deps, spec.name, opts, { report: reportFromRows(rows, usage), lmCalls });
        await store.putCheckpoint(doneKey, JSON.stringify(summary));
      }
      for (const shard of shards) await store.deleteCheckpoint(shardResultKey(opts, shard));
      return summary;
    },
  };
}
