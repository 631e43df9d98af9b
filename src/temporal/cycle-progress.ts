/**
 * Where a running optimization cycle is: read from Temporal itself, so no workflow has to report it.
 * The deepest running workflow of the cycle (the rollout once it started, else the cycle) names the
 * stage in its `KkachiStage` search attribute; its activity under way carries `ActivityProgress` in
 * its last heartbeat (examples done of total, and how many were right so far).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { activityProgressSchema, cycleWorkflowId, KKACHI_STAGE, rolloutWorkflowId, type ActivityProgress } from '../contract';

export interface CycleProgress {
  cycle: number;
  /** `build-dataset`, `optimize`, `evaluate`, `gate`, `canary`, `monitoring`, … (`KkachiStage`). */
  stage: string;
  /** The workflow the stage belongs to (the cycle or its rollout): open it in the Web UI. */
  workflowId: string;
  /** The activity under way, with its last heartbeat's progress when it sent one. */
  activity: { type: string; attempt: number; progress: ActivityProgress | null } | null;
}

/** The running cycle's stage and progress, or null when neither the cycle nor its rollout is running. */
export async function cycleProgress(client: Client, learnerId: string, cycle: number): Promise<CycleProgress | null> {
  const cycleId = cycleWorkflowId(learnerId, cycle);
  for (const workflowId of [rolloutWorkflowId(cycleId), cycleId]) {
    let description;
    try {
      description = await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      throw err;
    }
    if (description.status.name !== 'RUNNING') continue;
    const stage = description.typedSearchAttributes.get(KKACHI_STAGE) ?? 'starting';
    const pending = description.raw.pendingActivities?.[0];
    let activity: CycleProgress['activity'] = null;
    if (pending) {
      const [details] = await decodeArrayFromPayloads(client.options.loadedDataConverter, pending.heartbeatDetails?.payloads);
      const parsed = activityProgressSchema.safeParse(details);
      activity = { type: pending.activityType?.name ?? 'unknown', attempt: pending.attempt ?? 1, progress: parsed.success ? parsed.data : null };
    }
    return { cycle, stage, workflowId, activity };
  }
  return null;
}

/** `cycle 2 evaluate, evaluate: 57 of 120, 84.2% right so far`: what a running cycle is doing, in one line. */
export function describeCycleStep(p: CycleProgress): string {
  const step = p.activity?.progress;
  const detail = !step
    ? p.activity
      ? `, ${p.activity.type} under way`
      : ''
    : `, ${step.stage}: ${step.done} of ${step.total}${step.correct !== undefined && step.done > 0 ? `, ${((step.correct / step.done) * 100).toFixed(1)}% right so far` : ''}`;
  const attempt = p.activity && p.activity.attempt > 1 ? ` (attempt ${p.activity.attempt})` : '';
  return `cycle ${p.cycle} ${p.stage}${detail}${attempt}`;
}

/** The step and the workflow to open in the Web UI (what `kkachi task status` prints). */
export function describeCycleProgress(p: CycleProgress): string {
  return `${describeCycleStep(p)} — workflow ${p.workflowId}`;
}
