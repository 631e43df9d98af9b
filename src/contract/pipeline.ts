/** `optimizationPipeline`: its input, its seven stages, the progress it answers and its result. */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { durationSchema } from '../core/task-spec';
import type { FeedbackCounters } from './feedback';
import type { RolloutResult } from './rollout';

export const pipelineInputSchema = z.object({
  spec: z.unknown(),
  /** Corrections each collection stage (1 and 4) waits for. */
  feedbackPerStage: z.number().int().min(0).default(3),
  /** The longest a collection stage waits; it then moves on with what it has. */
  feedbackTimeout: durationSchema.default(3_600_000),
});
export type PipelineInput = z.input<typeof pipelineInputSchema>;

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
  /** The dataset's `valWarning`, when it had one. */
  valWarning?: string;
}

export interface FinalMetrics {
  versionId: string;
  label: string;
  accuracy: number;
  p50Ms: number;
  lmCalls: number;
}

export interface PipelineProgress {
  stage: number;
  stageName: PipelineStageName | 'done';
  cycles: CycleMetrics[];
  final: FinalMetrics[];
  counters: FeedbackCounters;
  /** Corrections persisted since the current collection stage began. */
  pendingCorrections: number;
}

export interface PipelineResult extends PipelineProgress {
  rollout: RolloutResult | null;
}

export const progressQuery = defineQuery<PipelineProgress>('progress');
