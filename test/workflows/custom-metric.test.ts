/**
 * A custom metric registered with the worker from a user module (`KKACHI_METRICS_MODULE`, the seed's
 * `SentimentAccuracy` pattern) drives a learner's cycle end to end on a real dev server. The metric is
 * deliberately contrary — a prediction passes when it differs from the gold label — so the cycle that
 * promotes under `label_accuracy` (learner.test.ts) must be rejected here: visible proof that the
 * optimizer's evaluation and the gate scored with the user's function, not a built-in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feedbackSignal, learnerWorkflowId } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { feedbackFor, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

const moduleDir = mkdtempSync(join(tmpdir(), 'kkachi-user-metrics-'));
const modulePath = join(moduleDir, 'my-metrics.js');
writeFileSync(modulePath, 'exports.Contrarian = (example, outputs) => example.outputs.sentiment !== outputs.sentiment;\n');

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness({}, { env: { ...process.env, KKACHI_METRICS_MODULE: modulePath } });
}, 60_000);
afterAll(async () => {
  await h?.stop();
  rmSync(moduleDir, { recursive: true, force: true });
});

it("a learner's cycle evaluates and gates with a metric registered from a user module", async () => {
  const spec = keywordTask('custom-metric', h.double.baseURL, { metric: { name: 'Contrarian' }, triggers: { corrections: 3 } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(spec.name), args: [spec] });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion;

  for (let i = 0; i < 3; i++) await handle.signal(feedbackSignal, feedbackFor(i));
  const done = await waitForStatus(handle, (s) => s.cycles.length === 1 && s.cycles[0]?.decision !== 'running', 90_000);

  const [cycle] = done.cycles;
  // Under the contrary metric the better program scores worse: rejected, and the baseline stays.
  expect(cycle).toMatchObject({ cycle: 1, trigger: 'corrections', decision: 'rejected' });
  expect(cycle?.gate?.candidate.accuracy).toBeLessThan((cycle?.gate?.baseline.accuracy ?? 0) - 0.05);
  expect(cycle?.reason).toMatch(/^reject: accuracy -\d+\.\d pts .* drops more than 5 pts/);
  expect(done.activeVersion).toBe(baseline);
  await handle.terminate('test done');
}, 120_000);
