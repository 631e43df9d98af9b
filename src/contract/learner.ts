/**
 * The learner's messages besides feedback (see ./feedback.ts): what clients send it, what it answers,
 * and the input and result of the optimization cycle it runs as a child.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { GateResult, PointerChange, VersionMetrics } from './activities';
import type { FeedbackCounters } from './feedback';
import type { CycleDecision } from './rollout';

export const optimizeNowSchema = z.strictObject({ reason: z.string().max(500).optional() }).optional();
export type OptimizeNowRequest = z.input<typeof optimizeNowSchema>;
export interface OptimizeNowAck {
  /** Number of the cycle that will serve the request (the next one; a running cycle is not interrupted). */
  cycle: number;
}

export const rollbackSchema = z.strictObject({ reason: z.string().min(1).max(500) });
export type RollbackRequest = z.input<typeof rollbackSchema>;

export type CycleTrigger = 'corrections' | 'interval' | 'manual' | 'drift';

export interface CycleRecord {
  cycle: number;
  trigger: CycleTrigger;
  candidateVersion: string | null;
  gate: GateResult | null;
  decision: CycleDecision;
  reason: string;
  startedAt: number;
  finishedAt: number | null;
  /** Why the cycle's validation split could not judge the recall floor (see DatasetSummary); absent when it could, and before it existed. */
  valWarning?: string;
}

export interface LearnerStatus {
  task: string;
  activeVersion: string | null;
  counters: FeedbackCounters;
  /** Corrections persisted since the last cycle started (a cycle starts when this reaches the threshold). */
  pendingCorrections: number;
  /** Accepted but not yet persisted (flushed in batches within a second). */
  buffered: number;
  /** The most recent cycles, oldest first (bounded; `[]` before the first). */
  cycles: CycleRecord[];
  running: boolean;
  /** How many times this learner continued as new. */
  generation: number;
  /**
   * The seed's monitoring numbers per version (predictions, corrections, feedback rate, live accuracy,
   * latency, held-out accuracy and its change), oldest first, the newest few only: a snapshot the
   * learner refreshes after stored feedback, after each cycle and every few minutes (a query cannot
   * read the store). `[]` until the first refresh, and in runs recorded before it existed.
   */
  versions: VersionMetrics[];
  /** Workflow time of that snapshot; null before the first. */
  metricsAt: number | null;
}

export interface CycleInput {
  spec: unknown;
  cycle: number;
  trigger: CycleTrigger;
  activeVersionId: string;
  /** The learner to keep informed of pointer moves. */
  notifyWorkflowId?: string;
}

export interface CycleResult {
  cycle: number;
  datasetId: string;
  candidateVersion: string;
  gate: GateResult | null;
  decision: Exclude<CycleDecision, 'running' | 'failed'>;
  reason: string;
  activeVersion: string;
  /** The dataset's `valWarning`, when it had one. */
  valWarning?: string;
}

export const optimizeNowUpdate = defineUpdate<OptimizeNowAck, [OptimizeNowRequest]>('optimizeNow');
export const rollbackUpdate = defineUpdate<PointerChange, [RollbackRequest]>('rollback');
export const statusQuery = defineQuery<LearnerStatus>('status');
