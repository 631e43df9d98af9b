/**
 * One optimization cycle through the activities, against the LM double playing the keyword world:
 * the zero-shot baseline guesses (~50%), the optimized program sees demos with the keywords and is
 * right except on "tricky" texts — so the gate must promote, and the registry must move exactly once.
 */
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { keywordOracle, makeExamples } from '../support/keyword-world';
import type { FeedbackRecord } from '../../src/contract';
import { harness, keywordSpec, TASK, type Harness } from './support';

let double: LMDouble;
let h: Harness;
beforeAll(async () => {
  double = await startLMDouble(keywordOracle());
  h = harness();
});
afterAll(async () => {
  await h.store.close();
  await double.close();
});

/** A correction for a fresh example, and one whose input is also a holdout example (must not be trained on). */
function feedbackFor(versionId: string): FeedbackRecord[] {
  const [fresh] = makeExamples(1, 99);
  const [held] = makeExamples(40, 2);
  return [fresh!, held!].map((e, i) => ({
    predictionId: `pred-${i}`,
    input: e.inputs,
    predicted: { sentiment: e.outputs.sentiment === 'positive' ? 'negative' : 'positive' },
    correct: e.outputs,
    versionId,
    receivedAt: 1_000 + i,
  }));
}

it('baseline → dataset → optimize → evaluate both → gate promotes → promote once → restore', async () => {
  const spec = keywordSpec(double.baseURL);

  const { result: baseline } = await h.run('ensureBaseline', [spec]);
  expect(baseline.active).toBe(baseline.versionId);
  expect((await h.store.getProgram(baseline.versionId))?.program.demos).toEqual([]);
  // Idempotent: a second call finds the task already served.
  expect((await h.run('ensureBaseline', [spec])).result).toEqual(baseline);

  const { result: persisted } = await h.run('persistFeedback', [TASK, feedbackFor(baseline.versionId)]);
  expect(persisted).toEqual({ inserted: 2, duplicates: 0, active: baseline.versionId });

  const { result: data } = await h.run('buildDataset', [spec, { cycle: 1 }]);
  // Seeds whose text is also a holdout text are dropped, like the correction that repeats a holdout input.
  const heldTexts = new Set(makeExamples(40, 2).map((e) => e.inputs.text));
  const pool = makeExamples(30, 1).filter((e) => !heldTexts.has(e.inputs.text)).length + 1;
  expect(pool).toBeLessThan(31);
  expect(data).toMatchObject({ train: pool - Math.round(pool * 0.25), val: Math.round(pool * 0.25), holdout: 40, corrections: 2 });
  const snapshot = (await h.store.getDataset(data.datasetId))!;
  const trainIds = [...snapshot.train, ...snapshot.val].map((e) => e.id);
  expect(trainIds).toContain('pred-0');
  expect(trainIds).not.toContain('pred-1');
  expect(snapshot.holdout.some((e) => trainIds.includes(e.id))).toBe(false);

  const { result: optimized, heartbeats } = await h.run('optimize', [spec, { datasetId: data.datasetId, parentVersionId: baseline.versionId, cycle: 1 }]);
  expect(optimized.optimizer).toBe('BootstrapFewShot');
  expect(optimized.demos).toBeGreaterThan(0);
  expect(optimized.lmCalls).toBeGreaterThan(0);
  expect(heartbeats[0]).toMatchObject({ stage: 'bootstrap', done: 1, total: data.train });
  expect(heartbeats.at(-1)).toMatchObject({ stage: 'stored', summary: optimized });
  const artifact = (await h.store.getProgram(optimized.versionId))!;
  expect(artifact.lineage).toMatchObject({ parentId: baseline.versionId, datasetId: data.datasetId, optimizer: { name: 'BootstrapFewShot', seed: 3 } });
  expect((await h.store.getPointers(TASK)).candidate).toBe(optimized.versionId);

  const evalOn = (versionId: string) => h.run('evaluate', [spec, { versionId, datasetId: data.datasetId, split: 'holdout' }]);
  const { result: before } = await evalOn(baseline.versionId);
  const { result: after, heartbeats: evalBeats } = await evalOn(optimized.versionId);
  expect(before).toMatchObject({ n: 40, errors: 0, lmCalls: 40 });
  expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.2);
  expect(evalBeats.at(-1)).toMatchObject({ stage: 'evaluate', done: 40, total: 40 });
  expect((await h.store.getProgram(optimized.versionId))?.lineage.evalReportId).toBe(after.reportId);

  const { result: gate } = await h.run('compare', [spec, { baselineReportId: before.reportId, candidateReportId: after.reportId }]);
  expect(gate).toMatchObject({ action: 'promote', baseline: { versionId: baseline.versionId }, candidate: { versionId: optimized.versionId } });
  expect(gate.reason).toMatch(/^promote: accuracy \+\d+\.\d pts/);
  expect(gate.pValue).toBeLessThan(0.05);

  const promote = () => h.run('promote', [TASK, { versionId: optimized.versionId, expectedActive: baseline.versionId, actor: 'gate', reason: gate.reason }]);
  expect((await promote()).result).toEqual({ active: optimized.versionId, previous: baseline.versionId, changed: true });
  expect((await promote()).result).toEqual({ active: optimized.versionId, previous: baseline.versionId, changed: false });
  const activeMoves = async () => (await h.store.registryHistory(TASK)).filter((e) => e.pointer === 'active');
  expect((await activeMoves()).map((e) => [e.fromVersion, e.toVersion, e.actor])).toEqual([
    [null, baseline.versionId, 'kkachi'],
    [baseline.versionId, optimized.versionId, 'gate'],
  ]);

  const restore = () => h.run('restorePrevious', [TASK, { fromVersionId: optimized.versionId, actor: 'monitor', reason: 'live accuracy regressed' }]);
  // The rolled-back version is never `previous` (what a further rollback restores): nothing served before the baseline.
  expect((await restore()).result).toEqual({ active: baseline.versionId, previous: null, changed: true });
  expect((await restore()).result).toEqual({ active: baseline.versionId, previous: null, changed: false });
  expect(await activeMoves()).toHaveLength(3);
});

it('feedback is counted once per prediction id, and live metrics read it per version', async () => {
  const task = 'live';
  const at = (predictionId: string, right: boolean, receivedAt: number): FeedbackRecord => ({
    predictionId,
    input: { text: predictionId },
    predicted: { sentiment: 'positive' },
    correct: { sentiment: right ? 'positive' : 'negative' },
    versionId: 'v1',
    receivedAt,
  });
  const batch = [at('a', true, 10), at('b', false, 20), at('c', true, 30)];
  expect((await h.run('persistFeedback', [task, batch])).result).toEqual({ inserted: 3, duplicates: 0, active: null });
  expect((await h.run('persistFeedback', [task, [...batch, at('d', true, 40)]])).result).toEqual({ inserted: 1, duplicates: 3, active: null });
  expect((await h.run('liveMetrics', [task, { versionId: 'v1', sinceMs: 20 }])).result).toEqual({ versionId: 'v1', n: 3, correct: 2, accuracy: 2 / 3, p50Ms: null });
  expect((await h.run('liveMetrics', [task, { versionId: 'v2', sinceMs: 0 }])).result).toEqual({ versionId: 'v2', n: 0, correct: 0, accuracy: null, p50Ms: null });
});
