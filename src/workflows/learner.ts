/**
 * The continuous learner: one per task, runs forever. It takes feedback (signal or update), persists
 * it in batches, and starts an optimization cycle (child workflow) when corrections reach the
 * threshold, when the retrain interval passes with new feedback, on `optimizeNow`, or when live
 * accuracy of the active version falls under the floor. It continues as new when Temporal suggests
 * it, carrying only small plain-JSON state. State and handlers live in `TaskLearner`.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { feedbackBatchSignal, feedbackSignal, optimizeNowSchema, optimizeNowUpdate, rollbackSchema, rollbackUpdate, statusQuery, submitFeedbackUpdate } from '../contract';
import { onActiveVersionChanged } from './handover';
import { refuseUnless } from './refuse';
import { requireTaskSpec, requireUsableSpec } from './spec';
import { TaskLearner, type LearnerState } from './task-learner';

export async function learner(specInput: unknown, carried?: LearnerState): Promise<never> {
  const spec = requireTaskSpec(specInput);
  // Before the learner takes feedback or shows up as listening; later runs of it were checked already.
  if (carried === undefined) await requireUsableSpec(spec);
  const entity = new TaskLearner(spec, workflowInfo().workflowId, carried);

  setHandler(feedbackSignal, (raw) => entity.intake.offer(raw));
  setHandler(feedbackBatchSignal, (raw) => entity.intake.offerBatch(raw));
  setHandler(submitFeedbackUpdate, (raw) => entity.intake.submit(raw), { validator: refuseUnless((raw) => entity.intake.validateUpdate(raw)) });
  setHandler(optimizeNowUpdate, (raw) => entity.optimizeNow(raw), { validator: refuseUnless(optimizeNowSchema) });
  setHandler(rollbackUpdate, (raw) => entity.rollback(raw), { validator: refuseUnless(rollbackSchema) });
  onActiveVersionChanged((change) => entity.activeVersionChanged(change));
  setHandler(statusQuery, () => entity.status());

  await entity.ensureActiveVersion();
  const background = entity.startBackground();
  for (let trigger = await entity.nextTrigger(); trigger !== null; trigger = await entity.nextTrigger()) {
    await entity.runCycle(trigger);
  }
  await entity.stop(background);
  await condition(allHandlersFinished);
  return continueAsNew<typeof learner>(specInput, entity.handOver());
}
