/**
 * The rollout's safety nets on a real Temporal dev server: a promoted candidate that regresses on live
 * feedback during the monitoring window is rolled back automatically; cancelling the rollout during the
 * window still runs the compensation; an operator's `rollback` restores the previous version.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { cycleWorkflowId, feedbackSignal, type LearnerStatus, learnerWorkflowId, optimizeNowUpdate, rollbackUpdate, rolloutWorkflowId, statusQuery } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { feedbackFor, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

/** Starts a learner, asks for a cycle, and waits until its rollout has promoted the candidate. */
async function promotedCandidate(
  task: string,
  windowMs: number,
  monitoring: { maxWindow?: number } = {},
): Promise<{ handle: WorkflowHandle<typeof learner>; baseline: string; candidate: string }> {
  const spec = keywordTask(task, h.double.baseURL, {
    triggers: { corrections: 1_000 },
    // These tests are about what happens after a promotion: a loaded machine's latency must not keep the candidate out.
    gate: { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 },
    monitoring: { window: windowMs, minSamples: 5, tolerance: 0.1, ...monitoring },
  });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion as string;
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  const promoted = await waitForStatus(handle, (s) => s.running && s.activeVersion !== baseline, 60_000);
  return { handle, baseline, candidate: promoted.activeVersion as string };
}

const finished = (s: LearnerStatus): boolean => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running';

const activeMoves = async (task: string) =>
  (await h.store.registryHistory(task)).filter((e) => e.pointer === 'active').map((e) => ({ from: e.fromVersion, to: e.toVersion, reason: e.reason }));

it('rolls a regressing candidate back during the monitoring window and says why', async () => {
  const { handle, baseline, candidate } = await promotedCandidate('regress', 20_000);
  // Users now correct every answer of the new version: live accuracy 0% vs the gate's measurement.
  for (let i = 0; i < 6; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 600 }));

  const done = await waitForStatus(handle, finished, 30_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'rolled-back', candidateVersion: candidate });
  expect(done.cycles[0]?.reason).toMatch(/live accuracy 0\.0% on 6 feedback records fell more than 10\.0% below/);
  expect(done.activeVersion).toBe(baseline);
  // The feedback was attributed to the candidate (the learner heard of the promotion).
  expect((await h.store.listFeedback('regress')).every((f) => f.versionId === candidate)).toBe(true);
  // Registry history: baseline, promote, then restore.
  expect(await activeMoves('regress')).toEqual([
    { from: null, to: baseline, reason: 'baseline' },
    { from: baseline, to: candidate, reason: expect.stringMatching(/^promote:/) },
    { from: candidate, to: baseline, reason: expect.stringMatching(/^rolled back: live accuracy/) },
  ]);
  await handle.terminate('test done');
}, 90_000);

it('keeps a candidate whose live accuracy holds up through the window', async () => {
  const { handle, candidate } = await promotedCandidate('steady', 4_000);
  for (let i = 0; i < 6; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 601, confirm: true }));
  const done = await waitForStatus(handle, finished, 30_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'promoted' });
  expect(done.cycles[0]?.reason).toMatch(/monitoring window passed \(live accuracy 100\.0% on 6 records\)/);
  expect(done.activeVersion).toBe(candidate);
  expect((await h.store.getPointers('steady')).active).toBe(candidate);
  await handle.terminate('test done');
}, 90_000);

it('runs the compensation when the rollout is cancelled during the window', async () => {
  const { handle, baseline, candidate } = await promotedCandidate('cancelled', 60_000);
  await h.env.client.workflow.getHandle(rolloutWorkflowId(cycleWorkflowId(learnerWorkflowId('cancelled'), 1))).cancel();

  const done = await waitForStatus(handle, finished, 30_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'failed', reason: expect.stringMatching(/^cancelled/) });
  expect(done.activeVersion).toBe(baseline);
  expect((await activeMoves('cancelled')).slice(1)).toEqual([
    { from: baseline, to: candidate, reason: expect.stringMatching(/^promote:/) },
    { from: candidate, to: baseline, reason: 'rollout cancelled during the monitoring window' },
  ]);
  await handle.terminate('test done');
}, 90_000);

it("restores the previous version on an operator's rollback and stops the rollout watching it", async () => {
  const { handle, baseline, candidate } = await promotedCandidate('operator', 60_000);
  const change = await handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'customer complaints' }] });
  // The rolled-back candidate is not `previous`: nothing served well before the baseline.
  expect(change).toEqual({ active: baseline, previous: null, changed: true });

  const done = await waitForStatus(handle, finished, 30_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'rolled-back', reason: 'operator rollback: customer complaints' });
  // The cycle never returned, yet its record keeps the gate's verdict from the promotion.
  expect(done.cycles[0]?.gate).toMatchObject({ action: 'promote', candidate: { versionId: candidate } });
  expect(done.activeVersion).toBe(baseline);
  expect((await activeMoves('operator')).slice(1)).toEqual([
    { from: baseline, to: candidate, reason: expect.stringMatching(/^promote:/) },
    { from: candidate, to: baseline, reason: 'customer complaints' },
  ]);
  expect((await handle.query(statusQuery)).running).toBe(false);
  await handle.terminate('test done');
}, 90_000);

it('after an operator rollback the cycle reads rolled-back, and a second rollback never re-promotes that version', async () => {
  const { handle, baseline, candidate } = await promotedCandidate('second-rollback', 1_000);
  await waitForStatus(handle, (s) => s.cycles[0]?.decision === 'promoted', 30_000);

  await handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'complaints after the window' }] });
  const after = await handle.query(statusQuery);
  expect(after.activeVersion).toBe(baseline);
  expect(after.cycles[0]).toMatchObject({ decision: 'rolled-back', reason: expect.stringMatching(/^operator rollback: complaints after the window \(was: promote:/) });

  // Nothing served well before the baseline: the update says so and nothing moves.
  await expect(handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'again' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/^rollback: no version served before \w+ that was not rolled back since$/) },
  });
  expect((await h.store.getPointers('second-rollback')).active).toBe(baseline);
  expect((await h.store.versions('second-rollback')).find((v) => v.versionId === candidate)?.rolledBack?.reason).toBe('complaints after the window');
  await handle.terminate('test done');
}, 90_000);

it('says "promoted without live evidence" when the window closes with too few records', async () => {
  const { handle } = await promotedCandidate('no-evidence', 1_000);
  const done = await waitForStatus(handle, finished, 30_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'promoted' });
  expect(done.cycles[0]?.reason).toMatch(/; promoted without live evidence: 0 of the 5 feedback records needed arrived in 1s \(monitoring\.window\)$/);
  await handle.terminate('test done');
}, 90_000);

it('with maxWindow, keeps a window short of minSamples open until the records arrive', async () => {
  const { handle } = await promotedCandidate('extended', 1_000, { maxWindow: 120_000 });
  // Well past the 1 s window, the rollout is still watching.
  await new Promise((r) => setTimeout(r, 3_000));
  expect((await handle.query(statusQuery)).cycles[0]?.decision).toBe('running');
  for (let i = 0; i < 5; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed: 602, confirm: true }));
  const done = await waitForStatus(handle, finished, 60_000);
  expect(done.cycles[0]?.reason).toMatch(/monitoring window passed \(live accuracy 100\.0% on 5 records\)$/);
  await handle.terminate('test done');
}, 90_000);
