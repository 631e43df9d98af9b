/**
 * Every signal, update and query of Kkachi's workflows, with the zod schemas of their payloads and the
 * shapes of their answers. Clients (tests, CLI, server) import the definitions from here so names never
 * drift; docs/WORKFLOWS.md documents each one for `temporal` CLI users.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { GateResult, PointerChange } from '../activities/types';

const fieldValue = z.union([z.string(), z.number(), z.boolean()]);
const fields = z.record(z.string(), fieldValue);

/**
 * One piece of feedback: the prediction's id (the idempotency key), the inputs it was made for, what
 * the program answered and what the user says is right. `predicted` equal to `correct` is a
 * confirmation. `versionId` is the program version that answered (the learner's active one if absent).
 */
export const feedbackSchema = z.strictObject({
  predictionId: z.string().min(1).max(200),
  input: fields,
  predicted: fields,
  correct: fields,
  versionId: z.string().min(1).max(128).nullable().optional(),
});
export type FeedbackPayload = z.input<typeof feedbackSchema>;

export interface FeedbackAck {
  /** True when this call added the record (false for a duplicate prediction id). */
  accepted: boolean;
  duplicate: boolean;
  predictionId: string;
}

export const optimizeNowSchema = z.strictObject({ reason: z.string().max(500).optional() }).optional();
export type OptimizeNowRequest = z.input<typeof optimizeNowSchema>;
export interface OptimizeNowAck {
  /** Number of the cycle that will serve the request (the next one; a running cycle is not interrupted). */
  cycle: number;
}

export const rollbackSchema = z.strictObject({ reason: z.string().min(1).max(500) });
export type RollbackRequest = z.input<typeof rollbackSchema>;

/** Sent by a rollout to the learner that started it whenever it moves the `active` pointer. */
const armSchema = z.object({ versionId: z.string(), accuracy: z.number(), p50Ms: z.number() });
export const activeVersionChangedSchema = z.strictObject({
  versionId: z.string().min(1),
  reason: z.string(),
  /** On a promotion: the gate's result, so the learner's cycle record keeps it even if the rollout is later cancelled. */
  gate: z
    .object({
      action: z.enum(['promote', 'reject', 'keep']),
      reason: z.string(),
      baseline: armSchema,
      candidate: armSchema,
      accuracyDelta: z.number(),
      ci95: z.tuple([z.number(), z.number()]),
      pValue: z.number(),
      p50DeltaMs: z.number(),
    })
    .optional(),
});
export type ActiveVersionChanged = z.input<typeof activeVersionChangedSchema>;

export interface FeedbackCounters {
  /** Distinct prediction ids accepted and persisted (each counted exactly once). */
  received: number;
  /** Of `received`, those whose correct output differs from the prediction. */
  corrections: number;
  /** Feedback for a prediction id already received (not stored again). */
  duplicates: number;
  /** Malformed signals (never stored); invalid updates are refused instead and not counted. */
  rejected: number;
}

export type CycleTrigger = 'corrections' | 'interval' | 'manual' | 'drift';
export type CycleDecision = 'running' | 'promoted' | 'rejected' | 'kept' | 'rolled-back' | 'conflict' | 'failed';

export interface CycleRecord {
  cycle: number;
  trigger: CycleTrigger;
  candidateVersion: string | null;
  gate: GateResult | null;
  decision: CycleDecision;
  reason: string;
  startedAt: number;
  finishedAt: number | null;
}

export interface LearnerStatus {
  task: string;
  activeVersion: string | null;
  counters: FeedbackCounters;
  /** Corrections persisted since the last cycle started (a cycle starts when this reaches the threshold). */
  pendingCorrections: number;
  /** Accepted but not yet persisted (flushed in batches within a second). */
  buffered: number;
  /** The most recent cycles, oldest first (bounded). */
  cycles: CycleRecord[];
  running: boolean;
  /** How many times this learner continued as new. */
  generation: number;
}

export interface CycleMetrics {
  cycle: number;
  datasetId: string;
  train: number;
  val: number;
  corrections: number;
  parentVersion: string;
  candidateVersion: string;
  optimizer: string;
  demos: number;
  /** The candidate's accuracy on the snapshot's validation split. */
  valAccuracy: number;
  lmCalls: number;
}

export interface FinalMetrics {
  versionId: string;
  label: string;
  accuracy: number;
  p50Ms: number;
  lmCalls: number;
}

export const PIPELINE_STAGES = [
  'deploy-baseline-and-collect-feedback',
  'first-optimization-cycle',
  'deploy-optimized-program',
  'collect-more-feedback',
  'second-optimization-cycle',
  'final-evaluation',
  'production-deployment',
] as const;
export type PipelineStageName = (typeof PIPELINE_STAGES)[number];

export interface PipelineProgress {
  stage: number;
  stageName: PipelineStageName | 'done';
  cycles: CycleMetrics[];
  final: FinalMetrics[];
  counters: FeedbackCounters;
  /** Corrections persisted since the current collection stage began. */
  pendingCorrections: number;
}

export const feedbackSignal = defineSignal<[FeedbackPayload]>('feedback');
export const submitFeedbackUpdate = defineUpdate<FeedbackAck, [FeedbackPayload]>('submitFeedback');
export const optimizeNowUpdate = defineUpdate<OptimizeNowAck, [OptimizeNowRequest]>('optimizeNow');
export const rollbackUpdate = defineUpdate<PointerChange, [RollbackRequest]>('rollback');
export const activeVersionChangedSignal = defineSignal<[ActiveVersionChanged]>('activeVersionChanged');
export const statusQuery = defineQuery<LearnerStatus>('status');
export const progressQuery = defineQuery<PipelineProgress>('progress');
