/**
 * Inside a cycle, the gate's baseline scores what a fresh evaluation scores (issue 11 item 3): a real
 * learner cycle on the embedded model (real dev server, real activities, no response cache) bootstraps
 * demos with the LM, then evaluates the active program on the held-out rows in two shards that share
 * the LM side by side; a new LM runtime in this process then evaluates the same program on the same
 * rows. The stored report keeps every row's raw reply and parsed answer (not the label
 * log-probabilities), so those are compared, with the gate's baseline accuracy.
 */
import { cycleWorkflowId, learnerWorkflowId, optimizeNowUpdate, type CycleResult } from '../../src/contract';
import { evaluate, type EvalRow } from '../../src/core/evaluate';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import { labelAccuracy } from '../../src/core/metrics';
import { modelsDir } from '../../src/models/location';
import { learner } from '../../src/workflows/learner';
import { amazonSentences } from '../support/amazon';
import { NOISE_TOLERANT_LATENCY } from '../support/keyword-world';
import { describeWithModel, TEST_MODEL } from '../local/model-available';
import { inline, setUpRunningHarness, waitForStatus, type Harness } from './harness';

const sentences = amazonSentences();
const answers = (rows: readonly EvalRow[]) => rows.map((r) => [r.id, r.raw, r.outputs?.sentiment ?? null, r.passed]);

describeWithModel(`the gate's baseline inside a cycle equals a fresh evaluation (${TEST_MODEL})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await setUpRunningHarness({}, { cacheDir: null, modelsDir: modelsDir() });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await disposeLocalRuntimes();
  });

  it('scores the active program on the held-out rows as a new LM runtime does', async () => {
    const task = 'gate-determinism';
    const spec = {
      name: task,
      signature: 'text -> sentiment: positive|negative',
      instructions: 'Classify the sentiment of the product review.',
      adapter: 'completion' as const,
      metric: { name: 'label_accuracy' as const },
      lm: { provider: 'local' as const, model: TEST_MODEL, temperature: 0, maxTokens: 8 },
      optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 2, maxLabeledDemos: 2 }, seed: 0 },
      data: { train: inline(sentences.slice(0, 8)), holdout: inline(sentences.slice(100, 116)), valFraction: 0.25 },
      triggers: { corrections: 1_000 },
      evaluation: { shardSize: 8 },
      gate: NOISE_TOLERANT_LATENCY,
      monitoring: { window: '2s', minSamples: 5, tolerance: 0.1 },
    };
    const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
    const started = await waitForStatus(handle, (s) => s.activeVersion !== null, 60_000);
    await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
    await waitForStatus(handle, (s) => s.cycles[0] !== undefined && s.cycles[0].decision !== 'running', 180_000);
    await handle.terminate('test done');

    const cycle = (await h.env.client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId(task), 1)).result()) as CycleResult;
    expect(cycle.gate?.baseline.versionId).toBe(started.activeVersion);
    const baseline = (await h.store.versions(task)).find((v) => v.versionId === started.activeVersion);
    const stored = (await h.store.getReport(baseline?.evalReportId as string))!.report;
    const holdout = (await h.store.getDataset(cycle.datasetId))!.holdout;
    expect(stored.rows.map((r) => r.id)).toEqual(holdout.map((e) => e.id));
    // Computed inside the cycle (no response cache), after the optimizer's prompts.
    expect(stored.rows.every((r) => !r.cached && r.error === undefined)).toBe(true);
    expect(cycle.gate?.baseline.accuracy).toBe(stored.passRate);

    await disposeLocalRuntimes();
    const program = (await h.store.getProgram(started.activeVersion as string))!.program;
    const lm = await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() });
    const fresh = await evaluate(program, holdout, { lm, metric: labelAccuracy('sentiment') });
    expect(answers(fresh.rows)).toEqual(answers(stored.rows));
  }, 300_000);
});
