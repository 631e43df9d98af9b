/**
 * Program kinds whose demos are chosen at predict time go through a cycle like any other version:
 * optimize stores them content-addressed, evaluate runs them through the activity's LM stack
 * (response cache and meters included) and the gate judges them against the baseline.
 */
import type { TaskSpecInput } from '../../src/core/task-spec';
import { FORUM_SIGNATURE, keywordEmbedding, keywordOracle, makeForumExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { harness, keywordSpec, type Harness } from './support';

let double: LMDouble;
let h: Harness;
beforeAll(async () => {
  double = await startLMDouble(keywordOracle(), { embed: keywordEmbedding });
  h = harness();
});
afterAll(async () => {
  await h.store.close();
  await double.close();
});

it('a KNNFewShot version is stored with its demo pool, evaluated with per-request demos and promoted by the gate', async () => {
  const spec = keywordSpec(double.baseURL, { optimizer: { name: 'KNNFewShot', config: { k: 3 }, seed: 0 } });
  const { result: baseline } = await h.run('ensureBaseline', [spec]);
  const { result: data } = await h.run('buildDataset', [spec, { cycle: 1 }]);
  const { result: optimized } = await h.run('optimize', [spec, { datasetId: data.datasetId, parentVersionId: baseline.versionId, cycle: 1 }]);
  const artifact = (await h.store.getProgram(optimized.versionId))!;
  expect(artifact.program.knn?.pool).toHaveLength(data.train);
  expect(artifact.lineage.optimizer).toMatchObject({ name: 'KNNFewShot', config: { k: 3, bootstrap: true } });

  const evalOn = (versionId: string) => h.run('evaluate', [spec, { versionId, datasetId: data.datasetId, split: 'holdout' }]);
  const { result: before } = await evalOn(baseline.versionId);
  const embedsBefore = double.embedRequests.length;
  const { result: after } = await evalOn(optimized.versionId);
  expect(double.embedRequests.length - embedsBefore).toBe(40);
  expect(after).toMatchObject({ n: 40, errors: 0 });
  expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.2);
  const { result: gate } = await h.run('compare', [spec, { baselineReportId: before.reportId, candidateReportId: after.reportId }]);
  expect(gate).toMatchObject({ action: 'promote', candidate: { versionId: optimized.versionId } });
});

it('a Routing version is stored with a route per domain and judged by the gate against a single optimized program', async () => {
  const inline = (n: number, seed: number) => ({ examples: makeForumExamples(n, seed) });
  const perDomain = { name: 'BootstrapFewShot' as const, config: { maxBootstrappedDemos: 4, maxLabeledDemos: 16 }, seed: 0 };
  const forumSpec = (optimizer: TaskSpecInput['optimizer']) =>
    keywordSpec(double.baseURL, { name: 'forums', signature: FORUM_SIGNATURE, optimizer, data: { train: inline(64, 1), holdout: inline(60, 2), valFraction: 0.1 } });
  const single = forumSpec(perDomain);
  const routed = forumSpec({ name: 'Routing', config: { field: 'forum', optimizer: { name: perDomain.name, config: perDomain.config } }, seed: 0 });
  const { result: baseline } = await h.run('ensureBaseline', [single]);
  const { result: data } = await h.run('buildDataset', [single, { cycle: 1 }]);
  const optimize = (spec: typeof single) => h.run('optimize', [spec, { datasetId: data.datasetId, parentVersionId: baseline.versionId, cycle: 1 }]);
  const { result: one } = await optimize(single);
  const { result: router } = await optimize(routed);
  expect(Object.keys((await h.store.getProgram(router.versionId))?.program.router?.routes ?? {}).sort()).toEqual(['ironic', 'shop']);

  const evalOn = (versionId: string) => h.run('evaluate', [routed, { versionId, datasetId: data.datasetId, split: 'holdout' }]);
  const { result: singleReport } = await evalOn(one.versionId);
  const { result: routedReport } = await evalOn(router.versionId);
  const { result: gate } = await h.run('compare', [routed, { baselineReportId: singleReport.reportId, candidateReportId: routedReport.reportId }]);
  expect(gate).toMatchObject({ action: 'promote', baseline: { versionId: one.versionId }, candidate: { versionId: router.versionId } });
});
