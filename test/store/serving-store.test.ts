/**
 * What serving keeps in the store, on both back ends: task specs, the prediction log, feedback
 * receipts, and the seed's monitoring numbers per version computed from them.
 */
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import type { PredictionLogEntry } from '../../src/store';
import { BACKENDS, useBackend } from '../support/stores';

const TASK = 'sentiment';

const entry = (id: string, versionId: string, latencyMs: number, extra: Partial<PredictionLogEntry> = {}): PredictionLogEntry => ({
  predictionId: id,
  task: TASK,
  versionId,
  inputs: { text: `t ${id}` },
  outputs: { sentiment: 'positive' },
  error: null,
  latencyMs,
  createdAt: 1_000 + latencyMs,
  ...extra,
});

describe.each(BACKENDS)('%s store: serving records', (_name, start) => {
  const { fresh } = useBackend(start);

  it('keeps the spec each task runs with and lists every task it knows', async () => {
    const store = await fresh({ now: () => 7 });
    expect(await store.getTaskSpec(TASK)).toBeNull();
    await store.putTaskSpec(TASK, { name: TASK, lm: { model: 'a' } });
    await store.putTaskSpec(TASK, { name: TASK, lm: { model: 'b' } });
    expect(await store.getTaskSpec(TASK)).toEqual({ name: TASK, lm: { model: 'b' } });
    // A task with registry pointers but no spec (made by a pipeline before specs were kept) is listed too.
    const a = createArtifact(createProgram('text -> sentiment: positive|negative', 'x'), { parentId: null, datasetId: null, optimizer: null });
    await store.putProgram('older', a);
    await store.compareAndSetActive('older', { expected: null, next: a.id, actor: 't', reason: 'r' });
    expect(await store.listTasks()).toEqual(['older', TASK]);
  });

  it('logs predictions in batches, idempotent by id, and reads one back with its failure', async () => {
    const store = await fresh();
    await store.logPredictions([entry('p1', 'v1', 10), entry('p2', 'v1', 20, { outputs: null, error: 'lm: 503' })]);
    await store.logPredictions([entry('p1', 'v1', 99)]);
    expect(await store.getPrediction(TASK, 'p1')).toEqual(entry('p1', 'v1', 10));
    expect(await store.getPrediction(TASK, 'p2')).toMatchObject({ outputs: null, error: 'lm: 503' });
    expect(await store.getPrediction('other', 'p1')).toBeNull();
  });

  it('notes feedback receipts once: the ids noted the first time come back, in order', async () => {
    const store = await fresh();
    expect(await store.recordFeedbackReceipts(TASK, ['a', 'b'])).toEqual(['a', 'b']);
    expect(await store.recordFeedbackReceipts(TASK, ['c', 'b', 'd'])).toEqual(['c', 'd']);
    expect(await store.hasFeedbackReceipt(TASK, 'b')).toBe(true);
    expect(await store.hasFeedbackReceipt('other', 'b')).toBe(false);
  });

  it('computes predictions, failures, latency, feedback rate and live accuracy per version', async () => {
    const store = await fresh();
    await store.logPredictions([1, 2, 3, 4].map((ms) => entry(`a${ms}`, 'v1', ms)));
    await store.logPredictions([entry('b1', 'v2', 100, { outputs: null, error: 'parse: x' })]);
    const fb = (id: string, versionId: string, correct: string) => ({ predictionId: id, input: { text: id }, predicted: { sentiment: 'positive' }, correct: { sentiment: correct }, versionId, receivedAt: 5 });
    await store.insertFeedback(TASK, [fb('a1', 'v1', 'negative'), fb('a2', 'v1', 'positive'), fb('x', 'v3', 'positive')]);
    const stats = await store.servingStats(TASK);
    expect(stats).toEqual([
      { versionId: 'v1', predictions: 4, failures: 0, latency: { meanMs: 2.5, p50Ms: 2.5, p95Ms: expect.closeTo(3.85, 6) }, feedback: 2, corrections: 1, feedbackRate: 0.25, liveAccuracy: 0.5 },
      { versionId: 'v2', predictions: 1, failures: 1, latency: { meanMs: 100, p50Ms: 100, p95Ms: 100 }, feedback: 0, corrections: 0, feedbackRate: 0, liveAccuracy: null },
      // Feedback on a version this log never served (a prediction made elsewhere).
      { versionId: 'v3', predictions: 0, failures: 0, latency: null, feedback: 1, corrections: 0, feedbackRate: null, liveAccuracy: 1 },
    ]);
  });
});
