/** A learner whose cycle has put a candidate on a live canary, for the canary tests (workflows and CLI). */
import type { WorkflowHandle } from '@temporalio/client';
import { learnerWorkflowId, optimizeNowUpdate } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { keywordTask, waitForStatus, type Harness } from './harness';

export const CANARY = { share: 0.3, window: 12_000, minSamples: 10 };

/** Starts a learner with a canary in its spec, asks for a cycle, and waits until the canary serves. */
export async function canaryRunning(h: Harness, task: string): Promise<{ handle: WorkflowHandle<typeof learner>; baseline: string; candidate: string }> {
  const spec = keywordTask(task, h.double.baseURL, {
    triggers: { corrections: 1_000 },
    // These tests are about the canary: a loaded machine's latency must not keep the candidate out at the gate.
    gate: { maxLatencyIncreaseMs: 60_000, rejectLatencyIncreaseMs: 120_000 },
    canary: CANARY,
  });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion as string;
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { active, canary } = await h.store.routing(task);
    if (canary) {
      expect(active).toBe(baseline);
      expect(canary.share).toBe(CANARY.share);
      // The rollout measures from just after it set the pointer: let its clock pass before feedback arrives.
      await new Promise((r) => setTimeout(r, 1_000));
      return { handle, baseline, candidate: canary.versionId };
    }
    if (Date.now() > deadline) throw new Error(`no canary for ${task}: ${JSON.stringify(await h.store.registryHistory(task))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
