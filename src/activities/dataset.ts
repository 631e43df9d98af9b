/**
 * buildDataset: freezes what a cycle trains and is judged on. Seed examples plus every feedback record
 * (the user's correct output is the label) are split into train/val by the spec's seed; the holdout
 * comes from the spec alone and nothing that is reported on is ever trained on.
 */
import type { z } from 'zod';
import { canonicalJson } from '../core/canonical';
import { loadDataset } from '../core/datasets';
import { describeZodError } from '../core/errors';
import { createRng } from '../core/random';
import { inputSchema, outputSchema, parseSignature, type Signature } from '../core/signature';
import { parseTaskSpec } from '../core/task-spec';
import type { Example, FeedbackRecord, Fields } from '../core/types';
import type { Deps } from './deps';
import { activityLog } from './progress';
import type { KkachiActivities } from '../contract';

/** Feedback as a training example; records that do not fit the signature are skipped (and logged). */
function feedbackExamples(signature: Signature, records: readonly FeedbackRecord[]): Example[] {
  const inputs = inputSchema(signature);
  const outputs = outputSchema(signature);
  return records.flatMap((r) => {
    const i = inputs.safeParse(r.input);
    const o = outputs.safeParse(r.correct);
    if (i.success && o.success) return [{ id: r.predictionId, inputs: i.data as Fields, outputs: o.data as Fields }];
    const problem = i.error ? describeZodError(i.error, r.input, 'input') : describeZodError(o.error as z.ZodError, r.correct, 'correct');
    activityLog().warn('feedback skipped: it does not match the signature', { predictionId: r.predictionId, problem: problem.message });
    return [];
  });
}

/** Whether an example is in the holdout: the same id, or identical inputs. */
export function inHoldout(holdout: readonly Example[]): (e: Example) => boolean {
  const heldIds = new Set(holdout.map((e) => e.id));
  const heldInputs = new Set(holdout.map((e) => canonicalJson(e.inputs)));
  return (e) => heldIds.has(e.id) || heldInputs.has(canonicalJson(e.inputs));
}

/** Drops examples that are in the holdout by id or by identical inputs, and repeated ids (first wins). */
function trainingPool(candidates: readonly Example[], holdout: readonly Example[]): Example[] {
  const held = inHoldout(holdout);
  const seen = new Set<string>();
  return candidates.filter((e) => {
    if (held(e) || seen.has(e.id)) return false;
    seen.add(e.id);
    return true;
  });
}

export function datasetActivities({ store, baseDir }: Deps): Pick<KkachiActivities, 'buildDataset'> {
  return {
    async buildDataset(rawSpec, { cycle }) {
      const spec = parseTaskSpec(rawSpec);
      const signature = parseSignature(spec.signature);
      const seeds = await loadDataset(spec.data.train, signature, { baseDir });
      const holdout = await loadDataset(spec.data.holdout, signature, { baseDir });
      // Feedback sorted by prediction id: the same records give the same snapshot whatever order they arrived in.
      const feedback = feedbackExamples(signature, await store.listFeedback(spec.name)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const pool = trainingPool([...seeds, ...feedback], holdout);

      const shuffled = createRng(spec.optimizer.seed).shuffle(pool);
      // At least one example on each side once there are two, so neither optimizing nor validating starves.
      const valSize = pool.length < 2 ? 0 : Math.min(pool.length - 1, Math.max(1, Math.round(pool.length * spec.data.valFraction)));
      const snapshot = await store.putDataset({ task: spec.name, train: shuffled.slice(valSize), val: shuffled.slice(0, valSize), holdout });
      activityLog().info('dataset built', { task: spec.name, cycle, datasetId: snapshot.id, train: snapshot.train.length, val: valSize, holdout: holdout.length });
      return {
        datasetId: snapshot.id,
        train: snapshot.train.length,
        val: snapshot.val.length,
        holdout: holdout.length,
        corrections: (await store.feedbackCounts(spec.name)).corrections,
      };
    },
  };
}
