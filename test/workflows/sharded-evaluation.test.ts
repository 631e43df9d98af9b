/**
 * A cycle whose held-out split is larger than the spec's shard size evaluates each version as parallel
 * shard activities plus a merge, on a real dev server, and still gates and promotes on the merged reports.
 */
import { cycleWorkflowId, learnerWorkflowId, optimizeNowUpdate, type CycleResult } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

it('evaluates the active version and the candidate in shards and merges each into one report', async () => {
  const task = 'sharded';
  const spec = keywordTask(task, h.double.baseURL, { triggers: { corrections: 1_000 }, evaluation: { shardSize: 10 } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  const done = await waitForStatus(handle, (s) => s.cycles[0] !== undefined && s.cycles[0].decision !== 'running', 90_000);
  await handle.terminate('test done');
  expect(done.cycles[0]).toMatchObject({ decision: 'promoted' });

  const cycle = h.env.client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId(task), 1));
  const result = (await cycle.result()) as CycleResult;
  const scheduled = ((await cycle.fetchHistory()).events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    return a ? [a.activityType?.name] : [];
  });
  const holdout = (await h.store.getDataset(result.datasetId))!.holdout.length;
  const shards = Math.ceil(holdout / 10);
  expect(shards).toBeGreaterThan(1);
  // Two versions, each: every shard, then one merge; never the unsharded evaluate.
  expect(scheduled.filter((t) => t === 'evaluateShard')).toHaveLength(2 * shards);
  expect(scheduled.filter((t) => t === 'mergeEvaluation')).toHaveLength(2);
  expect(scheduled).not.toContain('evaluate');
  // The gate compared whole reports: every held-out example of both versions, in dataset order.
  const ids = (await h.store.getDataset(result.datasetId))!.holdout.map((e) => e.id);
  const versions = await h.store.versions(task);
  expect(versions).toHaveLength(2);
  for (const { evalReportId } of versions) expect((await h.store.getReport(evalReportId as string))!.report.rows.map((r) => r.id)).toEqual(ids);
}, 120_000);
