/**
 * The demo's closing table, built only from what the run returned: the pipeline's final held-out
 * evaluations and the stage-7 gate decision. Pure, so its bookkeeping can be tested on its own.
 */
import type { PipelineResult } from '../contract';
import type { VersionServingStats } from '../store/types';
import type { SimulatorCounts } from './simulator';

export interface ResultRow {
  /** baseline, cycle 1, cycle 2 (the pipeline's labels). */
  label: string;
  versionId: string;
  heldOutAccuracy: number;
  p50Ms: number;
  /** LM calls of this version's held-out evaluation. */
  lmCalls: number;
  /** What happened to the version: retired, replaced, in service, or the gate's decision. */
  decision: string;
  reason: string;
  /** True for the version active when the run ended. */
  active: boolean;
  /** Predictions it served to the users over HTTP, and corrections / predictions (null: it served none). */
  served: number;
  feedbackRate: number | null;
}

export interface DemoTotals {
  optimizationLmCalls: number;
  evaluationLmCalls: number;
  servingLmCalls: number;
}

/** The stage-7 candidate's fate in words (the rollout's `kept` means the program in service was kept). */
const CANDIDATE_DECISION: Record<NonNullable<PipelineResult['rollout']>['decision'], string> = {
  promoted: 'promoted',
  kept: 'not promoted',
  rejected: 'rejected',
  'rolled-back': 'rolled back',
  conflict: 'conflict',
};

/** Why the stage-3 program is still in service after stage 7. */
const IN_SERVICE_BECAUSE: Record<NonNullable<PipelineResult['rollout']>['decision'], string> = {
  promoted: 'restored after the promotion',
  kept: 'the gate kept it (cycle 2 not promoted)',
  rejected: 'the gate rejected cycle 2',
  'rolled-back': 'restored: cycle 2 regressed in the monitoring window',
  conflict: "the gate's promotion lost a race",
};

/** The version the pipeline left in service: the rollout's outcome, else the one deployed at stage 3. */
export function finalActiveVersion(result: PipelineResult): string {
  if (result.rollout) return result.rollout.activeVersion;
  const first = result.cycles[0];
  if (!first) throw new Error('the pipeline result has no optimization cycle');
  return first.candidateVersion;
}

export function resultRows(result: PipelineResult, live: readonly VersionServingStats[] = []): ResultRow[] {
  const [first, second] = result.cycles;
  if (!first || !second) throw new Error(`the pipeline result has ${result.cycles.length} optimization cycles, expected 2`);
  const active = finalActiveVersion(result);
  const rollout = result.rollout;
  const describe = (versionId: string): Pick<ResultRow, 'decision' | 'reason'> => {
    if (versionId === second.candidateVersion && versionId !== first.candidateVersion) {
      return rollout
        ? { decision: CANDIDATE_DECISION[rollout.decision], reason: rollout.reason }
        : { decision: 'kept', reason: 'the second cycle reproduced the program in service' };
    }
    if (versionId === first.candidateVersion) {
      return versionId === active
        ? { decision: 'in service', reason: `deployed at stage 3; ${rollout ? IN_SERVICE_BECAUSE[rollout.decision] : 'cycle 2 produced the same program'}` }
        : { decision: 'replaced', reason: 'deployed at stage 3, replaced at stage 7 by the gate' };
    }
    return versionId === active
      ? { decision: 'in service', reason: 'restored as the previous version' }
      : { decision: 'retired', reason: 'replaced at stage 3 by the first optimized program' };
  };
  return result.final.map((f) => ({
    label: f.label,
    versionId: f.versionId,
    heldOutAccuracy: f.accuracy,
    p50Ms: f.p50Ms,
    lmCalls: f.lmCalls,
    ...describe(f.versionId),
    active: f.versionId === active,
    served: live.find((l) => l.versionId === f.versionId)?.predictions ?? 0,
    feedbackRate: live.find((l) => l.versionId === f.versionId)?.feedbackRate ?? null,
  }));
}

export function totals(result: PipelineResult, serving: number): DemoTotals {
  return {
    optimizationLmCalls: result.cycles.reduce((sum, c) => sum + c.lmCalls, 0),
    evaluationLmCalls: result.final.reduce((sum, f) => sum + f.lmCalls, 0),
    servingLmCalls: serving,
  };
}

/**
 * Bookkeeping the run must satisfy; each entry is a human-readable failure. Every feedback record the
 * simulator sent is counted once by the pipeline, split the same way into corrections/confirmations.
 */
export function consistencyProblems(result: PipelineResult, feedback: SimulatorCounts): string[] {
  const problems: string[] = [];
  const c = result.counters;
  if (feedback.corrections + feedback.confirmations !== feedback.sent) problems.push(`simulator: ${feedback.corrections} corrections + ${feedback.confirmations} confirmations ≠ ${feedback.sent} sent`);
  if (c.received !== feedback.sent) problems.push(`pipeline received ${c.received} feedback records, the simulator sent ${feedback.sent}`);
  if (c.corrections !== feedback.corrections) problems.push(`pipeline counted ${c.corrections} corrections, the simulator sent ${feedback.corrections}`);
  if (c.rejected !== 0 || c.duplicates !== 0) problems.push(`pipeline rejected ${c.rejected} and deduplicated ${c.duplicates} records; the simulator sends only valid, distinct ones`);
  return problems;
}
