/**
 * The live canary phase of a rollout: after the gate says promote, the candidate serves `share` of
 * traffic (serving reads the canary pointer and routes sticky by key) for the canary window; then each
 * arm's feedback since the start decides, through an unpaired two-proportion test and the gate's latency
 * reject limit. The rollout owns the canary state; a cancellation during the phase ends the canary.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { CanaryResult, LiveMetrics } from '../contract';
import { decideCanary, type CanaryArm } from '../core/stats/canary';
import { formatDuration, type TaskSpec } from '../core/task-spec';
import { storeActivities } from './activities';
import { markProgress } from './search-attributes';

/** The `patched()` id guarding the canary's commands (rollouts recorded before it never had one). */
export const CANARY_PATCH = 'kkachi-live-canary';

export interface CanaryParties {
  candidate: string;
  active: string;
  actor: string;
}

const arm = (live: LiveMetrics): CanaryArm => ({ versionId: live.versionId, n: live.n, correct: live.correct, p50Ms: live.p50Ms ?? null });

/**
 * Starts the canary, waits out its window and returns the verdict with both arms' live metrics. The
 * canary pointer stays set on return: the caller ends it after promoting or on rolling back.
 */
export async function runCanary(spec: TaskSpec & { canary: NonNullable<TaskSpec['canary']> }, parties: CanaryParties): Promise<CanaryResult> {
  const { share, window, minSamples } = spec.canary;
  markProgress({ stage: 'canary' });
  try {
    await storeActivities.setCanary(spec.name, {
      canary: { versionId: parties.candidate, share },
      actor: parties.actor,
      reason: `canary: ${(share * 100).toFixed(1)}% of traffic for ${formatDuration(window)}`,
    });
    const since = Date.now();
    await sleep(window);
    const [active, candidate] = await Promise.all(
      [parties.active, parties.candidate].map((versionId) => storeActivities.liveMetrics(spec.name, { versionId, sinceMs: since })),
    ) as [LiveMetrics, LiveMetrics];
    const verdict = decideCanary(arm(active), arm(candidate), { minSamples, alpha: spec.gate.alpha, rejectLatencyIncreaseMs: spec.gate.rejectLatencyIncreaseMs });
    return { ...verdict, share, active, candidate };
  } catch (err) {
    // Cancelled mid-canary: all traffic goes back to the active version, which never moved.
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => endCanary(spec.name, parties.actor, 'rollout cancelled during the canary'));
    throw err;
  }
}

export function endCanary(task: string, actor: string, reason: string): Promise<void> {
  return storeActivities.setCanary(task, { canary: null, actor, reason });
}
