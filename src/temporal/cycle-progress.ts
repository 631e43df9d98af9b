/**
 * Where a running optimization cycle is: read from Temporal itself, so no workflow has to report it.
 * The deepest running workflow of the cycle (the rollout once it started, else the cycle) names the
 * stage in its `KkachiStage` search attribute; its activities under way carry `ActivityProgress` in
 * their last heartbeats (examples done of total, and how many were right so far), summed over the
 * shards of a sharded evaluation.
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
  /** The activities under way, summed: one, or the shards of a sharded evaluation. */
  activity: StepProgress | null;
}

/** The pending activities of one type, taken together. */
export interface StepProgress {
  type: string;
  /** The highest attempt among them. */
  attempt: number;
  /** How many are under way (scheduled or running). */
  running: number;
  /** Their last heartbeats summed (done, total and correct over the ones that sent one); null when none did. */
  progress: ActivityProgress | null;
  /** For shards of a sharded evaluation: how many finished of how many in all. */
  shards: { done: number; total: number } | null;
}

/** What `describe` reports of a pending activity, with its heartbeat details decoded. */
export interface PendingStep {
  type: string;
  attempt: number;
  details: unknown;
}

/**
 * The activities of the first one's type (a sharded evaluation runs its shards side by side), summed:
 * a shard that finished is no longer pending, so the shards done are the count its siblings report
 * minus those still under way.
 */
export function sumPending(pending: readonly PendingStep[]): StepProgress | null {
  const type = pending[0]?.type;
  if (type === undefined) return null;
  const same = pending.filter((p) => p.type === type);
  const beats = same.flatMap((p) => {
    const parsed = activityProgressSchema.safeParse(p.details);
    return parsed.success ? [parsed.data] : [];
  });
  const first = beats[0];
  const progress = first ? beats.reduce(addProgress, { stage: first.stage, done: 0, total: 0, correct: 0 }) : null;
  const shardCounts = beats.flatMap((b) => (b.shard ? [b.shard.of] : []));
  const shardCount = shardCounts.length === 0 ? null : Math.max(...shardCounts);
  return {
    type,
    attempt: Math.max(...same.map((p) => p.attempt)),
    running: same.length,
    progress,
    shards: shardCount === null ? null : { done: Math.max(0, shardCount - same.length), total: shardCount },
  };
}

/** Done, total and correct added up (correct only when both know it); the shard is no single one's. */
function addProgress(a: ActivityProgress, b: ActivityProgress): ActivityProgress {
  const sum: ActivityProgress = { stage: a.stage, done: a.done + b.done, total: a.total + b.total };
  if (a.correct !== undefined && b.correct !== undefined) sum.correct = a.correct + b.correct;
  return sum;
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
    const pending = await Promise.all(
      (description.raw.pendingActivities ?? []).map(async (p): Promise<PendingStep> => {
        const [details] = await decodeArrayFromPayloads(client.options.loadedDataConverter, p.heartbeatDetails?.payloads);
        return { type: p.activityType?.name ?? 'unknown', attempt: p.attempt ?? 1, details };
      }),
    );
    return { cycle, stage, workflowId, activity: sumPending(pending) };
  }
  return null;
}

/**
 * `cycle 2 evaluate, evaluate: 57 of 120, 84.2% right so far`: what a running cycle is doing, in one
 * line; shards add `in 3 shards under way, 2 of 5 shards done`.
 */
export function describeCycleStep(p: CycleProgress): string {
  const a = p.activity;
  const step = a?.progress;
  const rightSoFar = step?.correct !== undefined && step.done > 0 ? `, ${((step.correct / step.done) * 100).toFixed(1)}% right so far` : '';
  const inShards = a?.shards ? ` in ${a.running} shard${a.running === 1 ? '' : 's'} under way, ${a.shards.done} of ${a.shards.total} shards done` : '';
  const detail = !a ? '' : step ? `, ${step.stage}: ${step.done} of ${step.total}${inShards}${rightSoFar}` : `, ${a.type} under way`;
  const attempt = a && a.attempt > 1 ? ` (attempt ${a.attempt})` : '';
  return `cycle ${p.cycle} ${p.stage}${detail}${attempt}`;
}

/** The step and the workflow to open in the Web UI (what `kkachi task status` prints). */
export function describeCycleProgress(p: CycleProgress): string {
  return `${describeCycleStep(p)} — workflow ${p.workflowId}`;
}
