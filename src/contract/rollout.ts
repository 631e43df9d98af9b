/**
 * The rollout child workflow's input and result, and the signal it sends to the workflow that
 * started it whenever it moves the `active` pointer.
 */
import { defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import type { CanaryVerdict } from '../core/stats/canary';
import { gateResultSchema, type GateResult, type LiveMetrics } from './activities';

/** How an optimization cycle (and so its rollout) ended. */
export type CycleDecision = 'running' | 'promoted' | 'rejected' | 'kept' | 'rolled-back' | 'conflict' | 'failed';

export interface RolloutInput {
  /** The task spec (validated again here: a rollout can be started on its own). */
  spec: unknown;
  candidateVersionId: string;
  /** The version in service that the candidate was measured against. */
  baselineVersionId: string;
  baselineReportId: string;
  candidateReportId: string;
  /** A learner to signal (`activeVersionChanged`) whenever this rollout moves the active pointer. */
  notifyWorkflowId?: string;
}

export interface RolloutResult {
  decision: Exclude<CycleDecision, 'running' | 'failed'>;
  reason: string;
  gate: GateResult;
  /** The active version when the rollout ended, as far as this rollout moved it. */
  activeVersion: string;
  /** Live metrics of the candidate at the last check of the monitoring window (null: not promoted). */
  live: LiveMetrics | null;
  /** The live canary's verdict and both arms, when the spec asked for a canary and the gate said promote. */
  canary?: CanaryResult | null;
}

/** How a live canary ended: the verdict (with its reason) and what each arm saw since the canary started. */
export interface CanaryResult extends CanaryVerdict {
  share: number;
  active: LiveMetrics;
  candidate: LiveMetrics;
}

/** Sent by a rollout to the learner (or pipeline) that started it whenever it moves the `active` pointer. */
export const activeVersionChangedSchema = z.strictObject({
  versionId: z.string().min(1),
  reason: z.string(),
  /** On a promotion: the gate's result, so the learner's cycle record keeps it even if the rollout is later cancelled. */
  gate: gateResultSchema.optional(),
});
export type ActiveVersionChanged = z.input<typeof activeVersionChangedSchema>;

export const activeVersionChangedSignal = defineSignal<[ActiveVersionChanged]>('activeVersionChanged');
