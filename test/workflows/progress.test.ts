/**
 * A running cycle's stage and progress, read from a real dev server the way `kkachi task status` does:
 * the stage from the cycle's search attribute, examples done of total and the share right so far from
 * its activity's heartbeat — small numbers, never the evaluated rows.
 */
import { KKACHI_STAGE, learnerWorkflowId, optimizeNowUpdate, statusQuery } from '../../src/contract';
import { renderProgress } from '../../src/cli/commands/task-status';
import { learner } from '../../src/workflows/learner';
import { cycleProgress, type CycleProgress } from '../../src/temporal/cycle-progress';
import { keywordOracle } from '../support/keyword-world';
import { keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

it('shows the running cycle evaluating, with examples done of total and accuracy so far', async () => {
  const oracle = keywordOracle();
  // Slow answers (5 s each, 8 at a time: 25 s per evaluation of 40), so the evaluation outlasts the
  // SDK's heartbeat throttle (80% of the 20 s heartbeat timeout) and the server sees progress past 0.
  h.double.setHandler((req) => ({ text: oracle(req), delayMs: 5_000 }));
  const task = 'progress';
  const spec = keywordTask(task, h.double.baseURL, { triggers: { corrections: 1_000 } });
  const holdout = (spec.data.holdout as { examples: unknown[] }).examples.length;
  const handle = await h.env.client.workflow.start(learner, {
    taskQueue: h.taskQueue,
    workflowId: learnerWorkflowId(task),
    args: [spec],
  });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{}] });

  const seen: CycleProgress[] = [];
  const deadline = Date.now() + 90_000;
  let evaluating: CycleProgress | undefined;
  while (!evaluating && Date.now() < deadline) {
    const progress = await cycleProgress(h.env.client, learnerWorkflowId(task), 1);
    if (progress) seen.push(progress);
    if (progress?.stage === 'evaluate' && (progress.activity?.progress?.done ?? 0) > 0) evaluating = progress;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!evaluating) throw new Error(`never saw the evaluation under way; last seen: ${JSON.stringify(seen.slice(-3))}`);
  const step = evaluating?.activity?.progress;
  expect(evaluating).toMatchObject({ cycle: 1, workflowId: `${learnerWorkflowId(task)}-cycle-1`, activity: { type: 'evaluate', attempt: 1 } });
  expect(step).toEqual({ stage: 'evaluate', done: expect.any(Number), total: holdout, correct: expect.any(Number) });
  expect(step!.correct!).toBeLessThanOrEqual(step!.done);
  expect(renderProgress(evaluating!)).toMatch(new RegExp(`^cycle 1 evaluate, evaluate: \\d+ of ${holdout}, \\d+\\.\\d% right so far — workflow kkachi-learner-progress-cycle-1$`));
  // The heartbeat as `temporal workflow describe` shows it is a handful of numbers.
  const pending = (await h.env.client.workflow.getHandle(evaluating!.workflowId).describe()).raw.pendingActivities ?? [];
  for (const a of pending) expect(JSON.stringify(a.heartbeatDetails ?? {}).length).toBeLessThan(400);
  // Earlier, the cycle published the optimizer's stage. Read from its history, not polled: with
  // LabeledFewShot (no LM call) that stage lasts a workflow task or two, which a poll may miss.
  const history = await h.env.client.workflow.getHandle(evaluating!.workflowId).fetchHistory();
  const stages = (history.events ?? []).flatMap((e) => {
    const stage = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[KKACHI_STAGE.name];
    return stage?.data ? [JSON.parse(Buffer.from(stage.data).toString()) as string] : [];
  });
  expect(stages).toEqual(['build-dataset', 'optimize', 'evaluate']);

  h.double.setHandler(oracle);
  await waitForStatus(handle, (s) => s.cycles[0]?.decision !== 'running', 90_000);
  expect(await cycleProgress(h.env.client, learnerWorkflowId(task), 1)).toBeNull();
  expect((await handle.query(statusQuery)).running).toBe(false);
  await handle.terminate('test done');
}, 180_000);
