/**
 * The gate on a spam-like keyword world: "positive" plays spam (a fifth of the holdout), the model
 * flags everything as spam zero-shot, and the candidate learned from noisy corrections to call
 * everything "negative". Its accuracy rises from 20% to 80% — and it catches no spam at all. The
 * spec's recall floor must refuse it with that reason; without the floor the accuracy gate would
 * promote it, and balanced accuracy sees no gain.
 */
import { measureScore } from '../../src/activities/gate';
import { createArtifact } from '../../src/core/artifact';
import type { EvalReport } from '../../src/core/evaluate';
import { emptyUsage } from '../../src/core/optimizers/types';
import type { TaskSpecInput } from '../../src/core/task-spec';
import type { Example } from '../../src/core/types';
import { KEYWORDS, keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { harness, keywordSpec, TASK, type Harness } from './support';

let double: LMDouble;
let h: Harness;
beforeAll(async () => {
  double = await startLMDouble(keywordOracle({ defaultLabel: 'positive' }));
  h = harness();
});
afterAll(async () => {
  await h.store.close();
  await double.close();
});

/** 8 "spam" and 32 "ham" texts, none tricky. */
function imbalancedHoldout(): Example[] {
  const pool = makeExamples(200, 5, { trickyRate: 0 });
  const of = (label: string, n: number) => pool.filter((e) => e.outputs.sentiment === label).slice(0, n);
  return [...of('positive', 8), ...of('negative', 32)];
}

const inline = (examples: Example[]) => ({ examples: examples.map(({ id, inputs, outputs }) => ({ id, inputs, outputs })) });

async function gateOn(gate: TaskSpecInput['gate']) {
  const spec = keywordSpec(double.baseURL, { data: { train: inline(makeExamples(10, 1)), holdout: inline(imbalancedHoldout()) }, gate });
  const { result: baseline } = await h.run('ensureBaseline', [spec]);
  // One demo per keyword; the "spam" keywords carry the wrong label, as noisy corrections would.
  const demos = Object.keys(KEYWORDS).map((k) => ({ inputs: { text: `A note about the ${k}.` }, outputs: { sentiment: 'negative' } }));
  const candidate = createArtifact(keywordProgram({ demos }), { parentId: baseline.versionId, datasetId: null, optimizer: null });
  await h.store.putProgram(TASK, candidate);

  const { result: data } = await h.run('buildDataset', [spec, { cycle: 1 }]);
  const evalOn = async (versionId: string) => (await h.run('evaluate', [spec, { versionId, datasetId: data.datasetId, split: 'holdout' }])).result;
  const before = await evalOn(baseline.versionId);
  const after = await evalOn(candidate.id);
  expect(before.accuracy).toBe(0.2);
  expect(after.accuracy).toBe(0.8);
  return (await h.run('compare', [spec, { baselineReportId: before.reportId, candidateReportId: after.reportId }])).result;
}

it('refuses a candidate whose recall of the named label is under the floor, though its accuracy rises', async () => {
  const gate = await gateOn({ recallFloor: { label: 'positive', min: 0.5 } });
  expect(gate.action).toBe('reject');
  expect(gate.reason).toMatch(/^reject: recall of "positive" 0\.0% is under the floor of 50\.0% \(baseline 100\.0%\)$/);
  expect(gate.floor).toEqual({ label: 'positive', min: 0.5, baseline: 1, candidate: 0 });
  expect(gate.accuracyDelta).toBeCloseTo(0.6, 12);
});

it('without the floor the accuracy gate would promote it; balanced accuracy keeps it', async () => {
  const byAccuracy = await gateOn(undefined);
  expect(byAccuracy.action).toBe('promote');
  expect(byAccuracy.measure).toMatchObject({ name: 'accuracy', test: 'McNemar' });

  const balanced = await gateOn({ measure: { name: 'balanced_accuracy' } });
  expect(balanced.measure).toMatchObject({ name: 'balanced_accuracy', baseline: 0.5, candidate: 0.5, delta: 0 });
  expect(balanced.action).toBe('keep');
  expect(balanced.reason).toMatch(/^keep: improvement ≤ 5 pts, not significant \(p ≥ 0\.05\) — balanced accuracy \+0\.0 pts \(50\.0% → 50\.0%/);
});

it("random search's ranking score is the spec's measure over a valset report", () => {
  const rows = (pairs: [string, string][]) =>
    pairs.map(([gold, predicted], i) => ({ id: `r${i}`, outputs: { sentiment: predicted }, expected: { sentiment: gold }, score: Number(gold === predicted), passed: gold === predicted, latencyMs: 1, cached: false }));
  const report = (pairs: [string, string][]): EvalReport => ({ n: pairs.length, meanScore: 0.75, passRate: 0.75, rows: rows(pairs), latency: { p50: 1, p95: 1 }, usage: emptyUsage(), errors: 0 });
  // Three of four right by answering "negative" everywhere: macro-F1 (0 + 6/7) / 2.
  const lopsided = report([['positive', 'negative'], ['negative', 'negative'], ['negative', 'negative'], ['negative', 'negative']]);
  expect(measureScore(keywordSpec('http://unused', { gate: { measure: { name: 'macro_f1' } } }))(lopsided)).toBeCloseTo(3 / 7, 12);
  // Recall of a label the valset lacks is undefined: the mean metric score stands in.
  const noPositive = report([['negative', 'negative']]);
  expect(measureScore(keywordSpec('http://unused', { gate: { measure: { name: 'recall', label: 'positive' } } }))(noPositive)).toBe(0.75);

  // Under the recall floor the gate would refuse it: it ranks below a worse candidate that meets the floor.
  const withFloor = measureScore(keywordSpec('http://unused', { gate: { measure: { name: 'macro_f1' }, recallFloor: { label: 'positive', min: 0.5 } } }));
  const meetsFloor = report([['positive', 'positive'], ['negative', 'positive'], ['negative', 'positive'], ['negative', 'negative']]);
  expect(withFloor(lopsided)).toBeCloseTo(3 / 7 - 1, 12);
  expect(withFloor(meetsFloor)).toBeGreaterThan(withFloor(lopsided));
  expect(withFloor(meetsFloor)).toBeCloseTo(0.5, 12);
  // No gold example of the floor's label: nothing to judge, the measure alone ranks.
  expect(withFloor(noPositive)).toBe(measureScore(keywordSpec('http://unused', { gate: { measure: { name: 'macro_f1' } } }))(noPositive));
});
