/** What the HTTP routes share: one per serving process. */
import type { Client } from '@temporalio/client';
import type { PredictionLogEntry, Store } from '../store/types';
import type { Batcher } from './batcher';
import type { FeedbackIngest } from './feedback';
import type { ServingMetrics } from './metrics';
import type { TaskCatalogue } from './tasks';

/** Serving reads the store and writes only the prediction log and feedback receipts. */
export type ServingAppStore = Store;

export interface ServingContext {
  store: ServingAppStore;
  tasks: TaskCatalogue;
  feedback: FeedbackIngest;
  metrics: ServingMetrics;
  /** Group-commits prediction log entries; a prediction is answered once its entry is stored. */
  predictionLog: Batcher<PredictionLogEntry>;
  /** For the learner's `status` query and readiness; null when serving runs without Temporal. */
  temporal: Client | null;
  /** How long a request waits for Temporal before answering 503. */
  temporalTimeoutMs: number;
}
