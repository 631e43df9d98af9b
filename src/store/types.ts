/** Plain records the store reads and writes. */
import type { EvalReport } from '../core/evaluate';
import type { Example } from '../core/types';

export interface FeedbackCounts {
  total: number;
  /** Records whose correct output differs from the prediction (canonical JSON). */
  corrections: number;
}

export interface DatasetContent {
  task: string;
  train: Example[];
  val: Example[];
  holdout: Example[];
}

/** A frozen dataset; `id` is the content hash of {task, train, val, holdout}. */
export interface DatasetSnapshot extends DatasetContent {
  id: string;
}

export interface StoredReport {
  id: string;
  task: string;
  versionId: string;
  report: EvalReport;
  createdAt: number;
}

export type PointerName = 'active' | 'previous' | 'candidate';

export interface Pointers {
  active: string | null;
  previous: string | null;
  candidate: string | null;
}

export interface PointerMove {
  actor: string;
  reason: string;
}

export interface CompareAndSet extends PointerMove {
  /** The version `active` must hold for the move to happen (null: no version yet). */
  expected: string | null;
  next: string;
}

export interface HistoryEntry {
  task: string;
  at: number;
  pointer: PointerName;
  fromVersion: string | null;
  toVersion: string | null;
  actor: string;
  reason: string;
}
