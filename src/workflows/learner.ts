/**
 * The continuous learner: one per task, runs forever. It takes feedback (signal or update), persists
 * it in batches, and starts an optimization cycle (child workflow) when corrections reach the
 * threshold, when the retrain interval passes with new feedback, on `optimizeNow`, or when live
 * accuracy of the active version falls under the floor. It continues as new when Temporal suggests
 * it or its history reaches its own budget, carrying only small plain-JSON state. State and handlers
 * live in `TaskLearner`.
 */
import { condition, continueAsNew, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  feedbackBatchSignal,
  feedbackSignal,
  optimizeNowSchema,
  optimizeNowUpdate,
  rollbackSchema,
  rollbackUpdate,
  statusQuery,
  submitFeedbackBatchUpdate,
  submitFeedbackUpdate,
} from '../contract';
import { onActiveVersionChanged } from './handover';
import { refuseUnless } from './refuse';
import { requireTaskSpec, requireUsableSpec } from './spec';
import { TaskLearner, type LearnerState } from './task-learner';

export async function learner(specInput: unknown, carried?: LearnerState): Promise<never> {
  const spec = requireTaskSpec(specInput);
  const entity = new TaskLearner(spec, workflowInfo().workflowId, carried);
  // Handlers first: an update that arrives with the start would otherwise be refused as unhandled.
  // Acknowledged feedback waits for the spec check, so nothing is stored for a spec that fails it.
  let checked = carried !== undefined;
  setHandler(feedbackSignal, (raw) => entity.feedback(raw));
  setHandler(feedbackBatchSignal, (raw) => void entity.feedbackBatch(raw));
  setHandler(
    submitFeedbackUpdate,
    async (raw) => {
      await condition(() => checked);
      return entity.intake.submit(raw);
    },
    { validator: refuseUnless((raw) => entity.intake.validateUpdate(raw)) },
  );
  setHandler(
    submitFeedbackBatchUpdate,
    async (raw) => {
      await condition(() => checked);
      return entity.feedbackBatch(raw);
    },
    { validator: refuseUnless((raw) => entity.intake.validateBatchUpdate(raw)) },
  );
  setHandler(optimizeNowUpdate, (raw) => entity.optimizeNow(raw), { validator: refuseUnless(optimizeNowSchema) });
  setHandler(rollbackUpdate, (raw) => entity.rollback(raw), { validator: refuseUnless(rollbackSchema) });
  onActiveVersionChanged((change) => entity.activeVersionChanged(change));
  setHandler(statusQuery, () => entity.status());
  // Before the learner stores feedback or shows up as listening; later runs of it were checked already.
  if (!checked) await requireUsableSpec(spec);
  checked = true;

  try {
    await entity.ensureActiveVersion();
    const background = entity.startBackground();
    for (let trigger = await entity.nextTrigger(); trigger !== null; trigger = await entity.nextTrigger()) {
      await entity.runCycle(trigger);
    }
    await entity.stop(background);
    await entity.readyToHandOver();
  } catch (err) {
    // Cancelled: what was acknowledged is stored before the run closes.
    if (isCancellation(err)) await entity.storeAcceptedOnCancel();
    throw err;
  }
  return continueAsNew<typeof learner>(specInput, entity.handOver());
}
