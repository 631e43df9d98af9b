/**
 * One optimization cycle, a child of the learner: build dataset → optimize → evaluate the active
 * program and the candidate on the held-out set → `rollout` (gate, promote, monitor) as a child.
 */
import { log, metricMeter, upsertMemo } from '@temporalio/workflow';
import type { CycleInput, CycleResult } from '../contract';
import { rolloutCandidate } from './handover';
import { markProgress } from './search-attributes';
import { requireTaskSpec } from './spec';
import { buildAndOptimize, evaluateSharded } from './steps';

export async function optimizationCycle(input: CycleInput): Promise<CycleResult> {
  const spec = requireTaskSpec(input.spec);
  markProgress({ task: spec.name, activeVersion: input.activeVersionId });
  const { dataset, optimized } = await buildAndOptimize(spec, input.cycle, input.activeVersionId);
  const base = { cycle: input.cycle, datasetId: dataset.datasetId, candidateVersion: optimized.versionId, ...(dataset.valWarning && { valWarning: dataset.valWarning }) };

  if (optimized.versionId === input.activeVersionId) {
    const reason = 'kept: the optimizer reproduced the active program';
    markProgress({ stage: 'kept' });
    upsertMemo({ decision: 'kept', reason });
    countCycle(spec.name, 'kept');
    return { ...base, gate: null, decision: 'kept', reason, activeVersion: input.activeVersionId };
  }

  markProgress({ stage: 'evaluate' });
  // One after the other: run side by side they would share the LM and skew the latency comparison
  // (the shards of one evaluation do run side by side, spread over the workers).
  const active = await evaluateSharded(spec, dataset, input.activeVersionId, 'holdout');
  const candidate = await evaluateSharded(spec, dataset, optimized.versionId, 'holdout');
  const result = await rolloutCandidate(spec, { baseline: active, candidate }, input.notifyWorkflowId);
  upsertMemo({ decision: result.decision, reason: result.reason });
  countCycle(spec.name, result.decision);
  log.info('cycle finished', { task: spec.name, cycle: input.cycle, trigger: input.trigger, decision: result.decision });
  return { ...base, gate: result.gate, decision: result.decision, reason: result.reason, activeVersion: result.activeVersion };
}

/** Cycles by decision on the worker's metrics endpoint; the SDK records nothing while replaying, so no command changes. */
function countCycle(task: string, decision: string): void {
  metricMeter.createCounter('kkachi_cycles', 'cycles', 'finished optimization cycles, by task and decision').add(1, { task, decision });
}
