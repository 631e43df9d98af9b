/**
 * The learner end to end on a real Temporal dev server with the real activities and the keyword-world
 * LM double: corrections reaching the threshold start a cycle that promotes a better program; the
 * retrain interval fires a cycle on its own; invalid input is refused without touching state.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { feedbackSignal, INVALID_FEEDBACK, learnerWorkflowId, optimizeNowUpdate, statusQuery, submitFeedbackBatchUpdate, submitFeedbackUpdate } from '../../src/contract';
import { renderStatus } from '../../src/cli/commands/task-status';
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { learner } from '../../src/workflows/learner';
import { KEYWORD_SIGNATURE, makeExamples } from '../support/keyword-world';
import { feedbackFor, inline, keywordTask, setUpRunningHarness, waitForStatus, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

const start = (spec: unknown) =>
  h.env.client.workflow.start(learner, {
    taskQueue: h.taskQueue,
    workflowId: learnerWorkflowId((spec as { name: string }).name),
    args: [spec],
  });

it('starts a cycle when corrections reach the threshold and promotes the better program', async () => {
  const spec = keywordTask('threshold', h.double.baseURL, { triggers: { corrections: 3 } });
  const handle = await start(spec);
  const initial = await waitForStatus(handle, (s) => s.activeVersion !== null);
  const baseline = initial.activeVersion as string;

  for (let i = 0; i < 2; i++) await handle.signal(feedbackSignal, feedbackFor(i));
  // A confirmation is feedback but not a correction: it must not count toward the threshold.
  await handle.signal(feedbackSignal, feedbackFor(2, { confirm: true }));
  const below = await waitForStatus(handle, (s) => s.counters.received === 3);
  expect(below.pendingCorrections).toBe(2);
  expect(below.cycles).toEqual([]);

  await handle.signal(feedbackSignal, feedbackFor(3));
  const done = await waitForStatus(handle, (s) => s.cycles.length === 1 && s.cycles[0]?.decision !== 'running', 90_000);

  const [cycle] = done.cycles;
  expect(cycle).toMatchObject({ cycle: 1, trigger: 'corrections', decision: 'promoted' });
  expect(cycle?.gate?.action).toBe('promote');
  expect(cycle?.gate?.candidate.accuracy).toBeGreaterThan((cycle?.gate?.baseline.accuracy ?? 1) + 0.05);
  expect(done.activeVersion).toBe(cycle?.candidateVersion);
  expect(done.activeVersion).not.toBe(baseline);
  // No recall floor: nothing for the validation split to fall short of.
  expect(cycle).not.toHaveProperty('valWarning');
  expect(done.counters).toEqual({ received: 4, corrections: 3, duplicates: 0, rejected: 0 });
  expect(done.pendingCorrections).toBe(0);
  // The registry agrees: the candidate is active, the baseline is previous.
  expect(await h.store.getPointers('threshold')).toMatchObject({ active: cycle?.candidateVersion, previous: baseline });
  const promotions = (await h.store.registryHistory('threshold')).filter((e) => e.pointer === 'active' && e.toVersion === cycle?.candidateVersion);
  expect(promotions).toHaveLength(1);
  await handle.terminate('test done');
}, 120_000);

it('fires a cycle when the retrain interval passes with new feedback', async () => {
  const spec = keywordTask('interval', h.double.baseURL, { triggers: { corrections: 1_000, retrainInterval: '3s' } });
  const handle = await start(spec);
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  // No feedback yet: the interval alone must not start a cycle.
  await new Promise((r) => setTimeout(r, 3_500));
  expect((await handle.query(statusQuery)).cycles).toEqual([]);

  await handle.signal(feedbackSignal, feedbackFor(0, { seed: 501 }));
  const done = await waitForStatus(handle, (s) => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running', 90_000);
  expect(done.cycles[0]).toMatchObject({ cycle: 1, trigger: 'interval' });
  expect(done.pendingCorrections).toBe(0);
  await handle.terminate('test done');
}, 120_000);

it("keeps the dataset's warning that the validation split cannot judge the recall floor in the cycle record, and task status prints it", async () => {
  const base = keywordTask('thin-val', h.double.baseURL, {
    triggers: { corrections: 1_000 },
    gate: { recallFloor: { label: 'positive', min: 0.5 } },
    // The warning is for optimizers that rank on the validation split.
    optimizer: { name: 'BootstrapFewShotWithRandomSearch', config: { numCandidatePrograms: 1 }, seed: 7 },
  });
  // The seed examples with only 6 positive: half of them (3) validate, too few to judge the floor.
  const seeds = makeExamples(30, 1);
  const thin = [...seeds.filter((e) => e.outputs.sentiment !== 'positive'), ...seeds.filter((e) => e.outputs.sentiment === 'positive').slice(0, 6)];
  const handle = await start({ ...base, data: { ...base.data, train: inline(thin) } });
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  const done = await waitForStatus(handle, (s) => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running', 90_000);
  const warning = 'the validation split holds 3 rows of "positive" (the pool has 6): the recall floor of 50% cannot be judged before the gate';
  expect(done.cycles[0]?.valWarning).toBe(warning);
  expect(renderStatus(done)).toContain(`cycle 1: ${warning}`);
  await handle.terminate('test done');
}, 120_000);

it('fails at once with a field-named message when the task spec is invalid', async () => {
  const spec = keywordTask('broken', h.double.baseURL, { lm: { provider: 'openai', model: '' } });
  const handle = await start(spec);
  const failure = await handle.result().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).nonRetryable).toBe(true);
  expect((cause as ApplicationFailure).message).toMatch(/lm\.model/);
});

it('fails before it listens when the data cannot work: a holdout that shares examples with train, with the count', async () => {
  const base = keywordTask('overlap', h.double.baseURL);
  const handle = await start({ ...base, data: { ...base.data, holdout: base.data.train } });
  const failure = await handle.result().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(/^data\.holdout: shares 30 of its 30 examples with data\.train/);
  // Nothing was set up for a task that cannot run.
  expect(await h.store.getPointers('overlap')).toMatchObject({ active: null });
});

it('follows the registry when another writer moves the active version: status, feedback stamps and the next cycle', async () => {
  const spec = keywordTask('two-writers', h.double.baseURL, { triggers: { corrections: 1_000 } });
  const handle = await start(spec);
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null)).activeVersion as string;

  // What a pipeline on the same task does when it promotes: a new version and a compare-and-set on `active`.
  const other = createArtifact(createProgram(KEYWORD_SIGNATURE, 'Another writer'), { parentId: baseline, datasetId: null, optimizer: null });
  await h.store.putProgram('two-writers', other);
  expect(await h.store.compareAndSetActive('two-writers', { expected: baseline, next: other.id, actor: 'pipeline', reason: 'test' })).toBe(true);

  await handle.signal(feedbackSignal, feedbackFor(0, { seed: 503 }));
  await handle.signal(feedbackSignal, feedbackFor(1, { seed: 503, versionId: baseline }));
  const after = await waitForStatus(handle, (s) => s.counters.received === 2);
  expect(after.activeVersion).toBe(other.id);
  // Unnamed feedback is about what the registry has in service; named feedback keeps its version.
  const stamps = Object.fromEntries((await h.store.listFeedback('two-writers')).map((f) => [f.predictionId, f.versionId]));
  expect(stamps).toEqual({ 'pred-503-0': other.id, 'pred-503-1': baseline });

  // A cycle improves on the registry's version: its candidate's parent is the other writer's.
  await moveActiveBehindTheLearnersBack(baseline, other.id);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  const done = await waitForStatus(handle, (s) => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running', 90_000);
  expect(done.cycles[0]?.decision).not.toBe('conflict');
  const candidate = done.cycles[0]?.candidateVersion as string;
  expect(candidate).toBeTruthy();
  expect((await h.store.getProgram(candidate))?.lineage.parentId).toBe(baseline);
  await handle.terminate('test done');
}, 120_000);

/** Moves `active` back from `from` to `to` without telling the learner (the learner still believes `from`). */
async function moveActiveBehindTheLearnersBack(to: string, from: string): Promise<void> {
  expect(await h.store.compareAndSetActive('two-writers', { expected: from, next: to, actor: 'operator', reason: 'test' })).toBe(true);
}

it('refuses an invalid submitFeedback with a field-named error and leaves state untouched', async () => {
  const spec = keywordTask('updates', h.double.baseURL, { triggers: { corrections: 1_000 } });
  const handle = await start(spec);
  // The first per-version snapshot lands on its own schedule: take `before` once it has.
  const before = await waitForStatus(handle, (s) => s.activeVersion !== null && s.metricsAt !== null);
  // Before the first cycle the status shows an empty list, as documented.
  expect(before.cycles).toEqual([]);

  const bad = { ...feedbackFor(0, { seed: 502 }), correct: { sentiment: 'meh' } };
  const refused = await handle.executeUpdate(submitFeedbackUpdate, { args: [bad] }).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/correct\.sentiment/);
  // The same payload fails the same way every time: the client must not retry it.
  expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: INVALID_FEEDBACK, nonRetryable: true });
  const badRequest = await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 7 } as never] }).catch((err: unknown) => err);
  expect((badRequest as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'ValidationError', nonRetryable: true });
  expect(String((badRequest as WorkflowUpdateFailedError).cause?.message)).toMatch(/^reason: /);
  const missing = await handle.executeUpdate(submitFeedbackUpdate, { args: [{ predictionId: 'x', input: { text: 'hi' } } as never] }).catch((e: unknown) => e);
  expect(String((missing as WorkflowUpdateFailedError).cause?.message)).toMatch(/predicted/);

  const after = await handle.query(statusQuery);
  expect(after).toEqual(before);
  expect(await h.store.listFeedback('updates')).toEqual([]);

  // A valid update is acknowledged; the same prediction id again is a duplicate.
  const ack = await handle.executeUpdate(submitFeedbackUpdate, { args: [feedbackFor(1, { seed: 502 })] });
  expect(ack).toEqual({ accepted: true, duplicate: false, predictionId: 'pred-502-1' });
  const again = await handle.executeUpdate(submitFeedbackUpdate, { args: [feedbackFor(1, { seed: 502 })] });
  expect(again).toEqual({ accepted: false, duplicate: true, predictionId: 'pred-502-1' });
  expect((await handle.query(statusQuery)).counters).toEqual({ received: 1, corrections: 1, duplicates: 1, rejected: 0 });
  expect(await h.store.listFeedback('updates')).toHaveLength(1);

  // optimizeNow answers with the number of the cycle that will run.
  expect(await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] })).toEqual({ cycle: 1 });
  await handle.terminate('test done');
});

it('stores every record it acknowledged when it is cancelled, buffered or on its way to the store', async () => {
  const spec = keywordTask('cancelled', h.double.baseURL, { triggers: { corrections: 1_000 } });
  const handle = await start(spec);
  await waitForStatus(handle, (s) => s.activeVersion !== null);
  // Fewer records than a batch: they wait in the buffer for the flush delay, and the cancel comes first.
  const records = Array.from({ length: 30 }, (_, i) => feedbackFor(i, { seed: 700 }));
  const ack = await handle.executeUpdate(submitFeedbackBatchUpdate, { args: [{ records }] });
  expect(ack).toEqual({ taken: 30, duplicates: 0, rejected: [] });
  await handle.cancel();
  expect(await handle.result().catch((err: unknown) => err)).toBeInstanceOf(WorkflowFailedError);

  expect(await h.store.listFeedback('cancelled')).toHaveLength(30);
  // The closed run answers queries by replay: it counted each record once.
  expect((await handle.query(statusQuery)).counters).toEqual({ received: 30, corrections: 30, duplicates: 0, rejected: 0 });
}, 60_000);
