/**
 * The demo's real data: the UCI Sentiment Labelled Sentences (Kotzias et al. 2015, CC BY 4.0) as they
 * ship in npm `sentiment@5.0.2`. One seeded shuffle of the file is cut into three disjoint slices —
 * train (the task's seed examples), held-out (the gate and the final evaluation), and the feedback
 * pool the simulated users draw unseen sentences from. Train and held-out go into the task spec as
 * dataset references, so the worker loads exactly the rows the demo reports on.
 */
import { loadDataset } from '../core/datasets';
import type { Signature } from '../core/signature';
import type { DatasetRef } from '../core/task-spec';
import type { Example } from '../core/types';

export const SENTIMENT_FILE = 'npm:sentiment/test/fixtures/amazon.json';

export interface SplitSizes {
  train: number;
  holdout: number;
  feedback: number;
}

export interface DemoSplits {
  train: DatasetRef;
  holdout: DatasetRef;
  feedback: DatasetRef;
}

/** Slices of one seeded shuffle of a file: `slice(offset, limit)`, the rest of `base` kept. */
export function sliceRef(base: Omit<Extract<DatasetRef, { path: string }>, 'offset'>, shuffleSeed: number): (offset: number, limit: number) => DatasetRef {
  return (offset, limit) => ({ ...base, shuffleSeed, offset, limit });
}

/**
 * Disjoint slices of one shuffle (the file's `{"text":"","class":null}` placeholder is skipped by the
 * loader; class 0 → negative, 1 → positive). Same sizes + seed ⇒ same rows on every machine.
 */
export function demoSplits(sizes: SplitSizes, seed: number, outputField = 'sentiment'): DemoSplits {
  const slice = sliceRef({ path: SENTIMENT_FILE, inputs: { text: 'text' }, outputs: { [outputField]: 'class' }, labels: { '0': 'negative', '1': 'positive' } }, seed);
  return {
    train: slice(0, sizes.train),
    holdout: slice(sizes.train, sizes.holdout),
    feedback: slice(sizes.train + sizes.holdout, sizes.feedback),
  };
}

/** The feedback pool as examples, minus any sentence whose text also appears in train or held-out. */
export async function loadFeedbackPool(splits: DemoSplits, signature: Signature): Promise<Example[]> {
  const [train, holdout, pool] = await Promise.all([splits.train, splits.holdout, splits.feedback].map((ref) => loadDataset(ref, signature)));
  // The file has a few exact duplicate sentences; a user "correcting" a held-out sentence would leak it.
  const known = new Set([...(train as Example[]), ...(holdout as Example[])].map((e) => JSON.stringify(e.inputs)));
  return (pool as Example[]).filter((e) => !known.has(JSON.stringify(e.inputs)));
}
