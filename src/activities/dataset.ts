/**
 * buildDataset: freezes what a cycle trains and is judged on. Seed examples plus every feedback record
 * (the user's correct output is the label) are split into train/val by the spec's seed, stratified by
 * label for a classification (with enough validation rows of the recall floor's label to judge it,
 * where the pool has them); the holdout comes from the spec alone and nothing that is reported on is
 * ever trained on.
 */
import type { z } from 'zod';
import { canonicalJson } from '../core/canonical';
import { loadDataset } from '../core/datasets';
import { describeZodError } from '../core/errors';
import { inputSchema, outputSchema, parseSignature, soleEnumChoices, type Signature } from '../core/signature';
import { ranksOnValidation } from '../core/optimizers';
import { MIN_ROWS_TO_JUDGE_RECALL, recallFloorWarning, splitTrainVal } from '../core/split';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
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

/** A classification's label of an example (any value outside the enum is a stratum of its own); undefined for other tasks. */
function labelOf(signature: Signature): ((e: Example) => string) | undefined {
  const field = soleEnumChoices(signature) && signature.outputs[0]?.name;
  return field ? (e) => String(e.outputs[field] ?? '') : undefined;
}

type RecallFloor = NonNullable<TaskSpec['gate']['recallFloor']>;

/**
 * The recall floor the validation split must be able to judge: the spec's, when its optimizer ranks
 * candidates on that split (for the others validation rows are only training rows lost).
 */
function floorToJudge(spec: TaskSpec): RecallFloor | undefined {
  return ranksOnValidation(spec.optimizer) ? spec.gate.recallFloor : undefined;
}

/** Why the validation split cannot judge the recall floor its optimizer ranks by, if it cannot. */
function valWarning(floor: RecallFloor | undefined, label: ((e: Example) => string) | undefined, pool: readonly Example[], val: readonly Example[]): string | undefined {
  if (!floor || !label) return undefined;
  const rowsOf = (rows: readonly Example[]) => rows.filter((e) => label(e) === floor.label).length;
  return recallFloorWarning({ val: rowsOf(val), pool: rowsOf(pool) }, floor);
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

      const label = labelOf(signature);
      // The recall floor's label gets enough validation rows to judge it, where the pool has them.
      const floor = floorToJudge(spec);
      const minValRows = floor ? { [floor.label]: MIN_ROWS_TO_JUDGE_RECALL } : {};
      const { train, val } = splitTrainVal(pool, { valFraction: spec.data.valFraction, seed: spec.optimizer.seed, labelOf: label, minValRows });
      const snapshot = await store.putDataset({ task: spec.name, train, val, holdout });
      activityLog().info('dataset built', { task: spec.name, cycle, datasetId: snapshot.id, train: train.length, val: val.length, holdout: holdout.length });
      const warning = valWarning(floor, label, pool, val);
      if (warning) activityLog().warn(warning, { task: spec.name, cycle, datasetId: snapshot.id });
      return {
        datasetId: snapshot.id,
        train: snapshot.train.length,
        val: snapshot.val.length,
        holdout: holdout.length,
        corrections: (await store.feedbackCounts(spec.name)).corrections,
        ...(warning && { valWarning: warning }),
      };
    },
  };
}
