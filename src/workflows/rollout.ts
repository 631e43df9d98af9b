/**
 * Production rollout: A/B gate → (optional live canary) → promote (compare-and-set) → monitoring
 * window over live feedback. A canary that does worse live is rolled back before it ever serves
 * everyone; a regression in the window, or a cancellation during it, runs the compensation: restore
 * the previous version. The result and the memo say why.
 */
import {
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  activeVersionChangedSignal,
  type ActiveVersionChanged,
  type CanaryResult,
  type GateResult,
  type LiveMetrics,
  type RolloutInput,
  type RolloutResult,
} from '../contract';
import { formatDuration, type TaskSpec } from '../core/task-spec';
import { storeActivities } from './activities';
import { CANARY_PATCH, endCanary, runCanary } from './canary';
import { markProgress } from './search-attributes';
import { requireTaskSpec } from './spec';
import { promoteVersion } from './steps';

/** How often the window is checked: a tenth of it, between 1 s and 5 min. */
export function checkInterval(windowMs: number): number {
  return Math.min(Math.max(Math.floor(windowMs / 10), 1_000), 300_000);
}

/** Live accuracy (with enough samples) more than `tolerance` below what the gate measured. */
export function isRegression(spec: TaskSpec, gate: GateResult, live: LiveMetrics): boolean {
  if (live.n < spec.monitoring.minSamples || live.accuracy === null) return false;
  const floor = gate.candidate.accuracy - spec.monitoring.tolerance;
  return Math.round((floor - live.accuracy) * 1e9) > 0;
}

export async function rollout(input: RolloutInput): Promise<RolloutResult> {
  const spec = requireTaskSpec(input.spec);
  const task = spec.name;
  const candidate = input.candidateVersionId;
  const actor = `rollout:${workflowInfo().workflowId}`;
  const finish = (result: RolloutResult): RolloutResult => {
    markProgress({ stage: result.decision, activeVersion: result.activeVersion });
    upsertMemo({ decision: result.decision, reason: result.reason });
    log.info('rollout finished', { task, candidate, decision: result.decision, reason: result.reason });
    return result;
  };

  markProgress({ task, stage: 'gate', activeVersion: input.baselineVersionId });
  const gate = await storeActivities.compare(spec, {
    baselineReportId: input.baselineReportId,
    candidateReportId: input.candidateReportId,
  });
  upsertMemo({ gate: gate.reason });
  if (gate.action !== 'promote') {
    const decision = gate.action === 'reject' ? 'rejected' : 'kept';
    return finish({ decision, reason: gate.reason, gate, activeVersion: input.baselineVersionId, live: null });
  }

  let canary: CanaryResult | null = null;
  const { canary: canarySpec } = spec;
  if (canarySpec && patched(CANARY_PATCH)) {
    canary = await runCanary({ ...spec, canary: canarySpec }, { candidate, active: input.baselineVersionId, actor });
    upsertMemo({ canary: canary.reason });
    if (canary.action === 'rollback') {
      await endCanary(task, actor, canary.reason);
      return finish({ decision: 'rolled-back', reason: `${gate.reason}; ${canary.reason}`, gate, activeVersion: input.baselineVersionId, live: canary.candidate, canary });
    }
  }
  const promotion = canary ? `${gate.reason}; ${canary.reason}` : gate.reason;
  const promote = () => promoteVersion(task, { versionId: candidate, expectedActive: input.baselineVersionId, actor, reason: promotion });
  // After a canary, promoting and ending the canary go together: a cancellation arriving meanwhile
  // is handled by the monitoring window's compensation instead of leaving the canary pointer set.
  const promoted = !canary
    ? await promote()
    : await CancellationScope.nonCancellable(async () => {
        const result = await promote();
        await endCanary(task, actor, 'change' in result ? 'canary promoted to all traffic' : 'canary ended: the active version moved meanwhile');
        return result;
      });
  if ('conflict' in promoted) {
    return finish({ decision: 'conflict', reason: `not promoted: ${promoted.conflict}`, gate, activeVersion: input.baselineVersionId, live: null, canary });
  }
  await tellLearner(input.notifyWorkflowId, { versionId: candidate, reason: promotion, gate });
  const promotedAt = Date.now();
  markProgress({ stage: 'monitoring', activeVersion: candidate });

  const compensate = async (reason: string): Promise<string> => {
    const restored = await storeActivities.restorePrevious(task, { fromVersionId: candidate, actor, reason });
    if (restored.changed && restored.active) await tellLearner(input.notifyWorkflowId, { versionId: restored.active, reason });
    return restored.active ?? input.baselineVersionId;
  };

  let live: LiveMetrics;
  try {
    live = await monitor(spec, gate, candidate, promotedAt);
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelled mid-window: the candidate has not proven itself, so put the previous version back.
      await CancellationScope.nonCancellable(() => compensate('rollout cancelled during the monitoring window'));
    }
    throw err;
  }
  if (isRegression(spec, gate, live)) {
    const reason =
      `rolled back: live accuracy ${pct(live.accuracy)} on ${live.n} feedback records fell more than ` +
      `${pct(spec.monitoring.tolerance)} below the gate's ${pct(gate.candidate.accuracy)}`;
    const activeVersion = await compensate(reason);
    return finish({ decision: 'rolled-back', reason, gate, activeVersion, live, canary });
  }
  return finish({ decision: 'promoted', reason: `${promotion}; ${windowVerdict(spec, live)}`, gate, activeVersion: candidate, live, canary });
}

/** How the monitoring window ended for a candidate that did not regress: with live evidence or without. */
export function windowVerdict(spec: TaskSpec, live: LiveMetrics): string {
  const { minSamples, window, maxWindow } = spec.monitoring;
  if (live.n >= minSamples) return `monitoring window passed (live accuracy ${pct(live.accuracy)} on ${live.n} records)`;
  return (
    `promoted without live evidence: ${live.n} of the ${minSamples} feedback records needed arrived ` +
    `in ${formatDuration(maxWindow ?? window)} (monitoring.${maxWindow === undefined ? 'window' : 'maxWindow'})`
  );
}

/**
 * Checks live metrics until the window closes or a regression shows; returns the last measurement.
 * With `maxWindow`, a window short of `minSamples` records stays open until they arrive or it runs out.
 */
async function monitor(spec: TaskSpec, gate: GateResult, versionId: string, sinceMs: number): Promise<LiveMetrics> {
  const deadline = sinceMs + spec.monitoring.window;
  const lastChance = sinceMs + (spec.monitoring.maxWindow ?? spec.monitoring.window);
  const every = checkInterval(spec.monitoring.window);
  let end = deadline;
  for (;;) {
    await sleep(Math.max(1, Math.min(every, end - Date.now())));
    const live = await storeActivities.liveMetrics(spec.name, { versionId, sinceMs });
    end = live.n >= spec.monitoring.minSamples ? deadline : lastChance;
    if (isRegression(spec, gate, live) || Date.now() >= end) return live;
  }
}

async function tellLearner(workflowId: string | undefined, change: ActiveVersionChanged): Promise<void> {
  if (!workflowId) return;
  try {
    await getExternalWorkflowHandle(workflowId).signal(activeVersionChangedSignal, change);
  } catch (err) {
    // The learner may be gone (terminated); the registry stays the source of truth.
    log.warn('could not notify the learner', { workflowId, error: (err as Error).message });
  }
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
