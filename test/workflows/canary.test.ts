/**
 * The live canary on a real Temporal dev server and a real store: after the gate says promote, the
 * candidate serves a share of traffic; feedback on each arm decides. A candidate worse live is rolled
 * back before it serves everyone, a better one is promoted, and cancelling mid-canary (or an operator's
 * rollback) puts everything back.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { cycleWorkflowId, feedbackSignal, learnerWorkflowId, rollbackUpdate, rolloutWorkflowId } from '../../src/contract';
import { serve } from '../serving/support';
import { canaryRunning } from './canary-support';
import { feedbackFor, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

/** Feedback on one arm: `right` of `n` answers confirmed, the rest corrected. */
async function judge(handle: WorkflowHandle, versionId: string, seed: number, n: number, right: number): Promise<void> {
  for (let i = 0; i < n; i++) await handle.signal(feedbackSignal, feedbackFor(i, { seed, versionId, confirm: i < right }));
}

const finished = (s: { cycles: { decision: string }[] }): boolean => s.cycles[0] !== undefined && s.cycles[0].decision !== 'running';
const canaryMoves = async (task: string) =>
  (await h.store.registryHistory(task)).filter((e) => e.pointer === 'canary').map((e) => ({ to: e.toVersion, reason: e.reason }));

it('rolls back a candidate that does worse live than the active version, and never promotes it', async () => {
  const { handle, baseline, candidate } = await canaryRunning(h, 'canary-worse');
  await judge(handle, baseline, 700, 30, 27);
  await judge(handle, candidate, 701, 15, 3);

  const done = await waitForStatus(handle, finished, 60_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'rolled-back', candidateVersion: candidate });
  expect(done.cycles[0]?.reason).toMatch(/; canary rolled back: live accuracy -70\.0 pts \(canary 20\.0% on 15 vs active 90\.0% on 30\), two-proportion p = [\d.e-]+ < 0\.05$/);
  expect(await h.store.routing('canary-worse')).toEqual({ active: baseline, canary: null });
  expect((await h.store.registryHistory('canary-worse')).filter((e) => e.pointer === 'active')).toHaveLength(1);
  expect(await canaryMoves('canary-worse')).toEqual([
    { to: candidate, reason: 'canary: 30.0% of traffic for 12s' },
    { to: null, reason: expect.stringMatching(/^canary rolled back: /) },
  ]);
  await handle.terminate('test done');
}, 120_000);

it('promotes a candidate that does better live to all traffic', async () => {
  const { handle, baseline, candidate } = await canaryRunning(h, 'canary-better');
  await judge(handle, baseline, 710, 30, 15);
  await judge(handle, candidate, 711, 15, 15);

  const done = await waitForStatus(handle, finished, 60_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'promoted', candidateVersion: candidate });
  expect(done.cycles[0]?.reason).toMatch(/; canary passed: live accuracy \+50\.0 pts \(canary 100\.0% on 15 vs active 50\.0% on 30\), two-proportion p = [\d.e-]+, not significantly worse; /);
  expect(await h.store.routing('canary-better')).toEqual({ active: candidate, canary: null });
  expect(await canaryMoves('canary-better')).toEqual([
    { to: candidate, reason: 'canary: 30.0% of traffic for 12s' },
    { to: null, reason: 'canary promoted to all traffic' },
  ]);
  await handle.terminate('test done');
}, 120_000);

it('cancelling the rollout mid-canary sends all traffic back to the active version', async () => {
  const { handle, baseline, candidate } = await canaryRunning(h, 'canary-cancel');
  await h.env.client.workflow.getHandle(rolloutWorkflowId(cycleWorkflowId(learnerWorkflowId('canary-cancel'), 1))).cancel();

  const done = await waitForStatus(handle, finished, 60_000);
  expect(done.cycles[0]).toMatchObject({ decision: 'failed', reason: expect.stringMatching(/^cancelled/) });
  expect(await h.store.routing('canary-cancel')).toEqual({ active: baseline, canary: null });
  expect(await canaryMoves('canary-cancel')).toEqual([
    { to: candidate, reason: 'canary: 30.0% of traffic for 12s' },
    { to: null, reason: 'rollout cancelled during the canary' },
  ]);
  expect((await h.store.registryHistory('canary-cancel')).filter((e) => e.pointer === 'active')).toHaveLength(1);
  await handle.terminate('test done');
}, 120_000);

it("an operator's rollback mid-canary ends the canary: all traffic on the active version, the candidate rolled back", async () => {
  const { handle, baseline, candidate } = await canaryRunning(h, 'canary-operator');
  const served = await serve(h);
  try {
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const answeredBy = async (): Promise<Set<string>> => {
      const answers = await Promise.all(keys.map((key, i) => served.call('POST', '/v1/tasks/canary-operator/predict', { inputs: { text: `fine ${i}` }, key })));
      return new Set(answers.map((a) => a.body.versionId as string));
    };
    expect(await answeredBy()).toEqual(new Set([baseline, candidate]));

    const change = await handle.executeUpdate(rollbackUpdate, { args: [{ reason: 'users complain about the canary' }] });
    expect(change).toEqual({ active: baseline, previous: null, changed: true, canaryRolledBack: candidate });
    // The update returns once the canary has ended (the answers below); the cycle then ends as rolled back.
    expect(await h.store.routing('canary-operator')).toEqual({ active: baseline, canary: null });
    const status = await waitForStatus(handle, finished, 60_000);
    expect(status.running).toBe(false);
    expect(status.activeVersion).toBe(baseline);
    expect(status.cycles[0]).toMatchObject({ decision: 'rolled-back', reason: 'operator rollback: users complain about the canary', candidateVersion: candidate });

    expect(await answeredBy()).toEqual(new Set([baseline]));
    expect(await h.store.routing('canary-operator')).toEqual({ active: baseline, canary: null });
    expect((await h.store.registryHistory('canary-operator')).filter((e) => e.pointer === 'active')).toHaveLength(1);
    expect(await canaryMoves('canary-operator')).toEqual([
      { to: candidate, reason: 'canary: 30.0% of traffic for 12s' },
      { to: null, reason: 'users complain about the canary' },
    ]);
    const versions = await h.store.versions('canary-operator');
    expect(versions.find((v) => v.versionId === candidate)?.rolledBack?.reason).toBe('users complain about the canary');
    expect(versions.find((v) => v.versionId === baseline)?.rolledBack).toBeNull();
  } finally {
    await served.close();
    await handle.terminate('test done');
  }
}, 120_000);
