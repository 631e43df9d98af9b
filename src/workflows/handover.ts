/**
 * What a parent workflow shares with the rollout it starts: starting the rollout child, and taking
 * the `activeVersionChanged` signals it sends back. Used by the optimization cycle, the pipeline and
 * the learner.
 */
import { executeChild, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import { activeVersionChangedSchema, activeVersionChangedSignal, rolloutWorkflowId, type EvalSummary, type RolloutResult } from '../contract';
import { parseOrThrow } from '../core/errors';
import type { TaskSpec } from '../core/task-spec';
import { rollout } from './rollout';

/**
 * Runs `rollout` as this workflow's child for a candidate measured against the version in service
 * on the same examples, and returns its result. `notifyWorkflowId` is told of every pointer move.
 */
export async function rolloutCandidate(
  spec: TaskSpec,
  measured: { baseline: EvalSummary; candidate: EvalSummary },
  notifyWorkflowId: string | undefined,
): Promise<RolloutResult> {
  const result = await executeChild(rollout, {
    workflowId: rolloutWorkflowId(workflowInfo().workflowId),
    args: [
      {
        spec,
        candidateVersionId: measured.candidate.versionId,
        baselineVersionId: measured.baseline.versionId,
        baselineReportId: measured.baseline.reportId,
        candidateReportId: measured.candidate.reportId,
        notifyWorkflowId,
      },
    ],
  });
  log.info('rollout finished', { task: spec.name, candidate: measured.candidate.versionId, decision: result.decision, reason: result.reason });
  return result;
}

export type ActiveVersionChange = z.output<typeof activeVersionChangedSchema>;

/** Applies each valid `activeVersionChanged` signal; a malformed one is logged and ignored (a signal cannot be refused). */
export function onActiveVersionChanged(apply: (change: ActiveVersionChange) => void): void {
  setHandler(activeVersionChangedSignal, (raw) => {
    let change: ActiveVersionChange;
    try {
      change = parseOrThrow(activeVersionChangedSchema, raw);
    } catch (err) {
      log.warn('activeVersionChanged ignored', { error: (err as Error).message });
      return;
    }
    apply(change);
  });
}
