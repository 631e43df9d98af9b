/**
 * A running cycle's progress from its pending activities: one activity as it reported itself, the
 * shards of a sharded evaluation summed (done, total, correct) with how many shards are done.
 */
import { describeCycleStep, sumPending, type PendingStep } from '../../src/temporal/cycle-progress';

const shard = (index: number, done: number, total: number, correct: number, attempt = 1): PendingStep => ({
  type: 'evaluateShard',
  attempt,
  details: { stage: 'evaluate', done, total, correct, shard: { index, of: 5 } },
});

it('sums the shards under way, counts a scheduled one without a heartbeat, and leaves other activities out', () => {
  const pending = [shard(1, 4, 10, 3), shard(2, 10, 10, 9, 2), shard(4, 1, 6, 0), { type: 'evaluateShard', attempt: 1, details: undefined }, { type: 'other', attempt: 7, details: undefined }];
  const step = sumPending(pending);
  expect(step).toEqual({
    type: 'evaluateShard',
    attempt: 2,
    running: 4,
    progress: { stage: 'evaluate', done: 15, total: 26, correct: 12 },
    shards: { done: 1, total: 5 },
  });
  expect(describeCycleStep({ cycle: 3, stage: 'evaluate', workflowId: 'w', activity: step })).toBe(
    'cycle 3 evaluate, evaluate: 15 of 26 in 4 shards under way, 1 of 5 shards done, 80.0% right so far (attempt 2)',
  );
});

it('shows a single activity as it reported itself', () => {
  const step = sumPending([{ type: 'evaluate', attempt: 1, details: { stage: 'evaluate', done: 12, total: 50, correct: 6 } }]);
  expect(step).toEqual({ type: 'evaluate', attempt: 1, running: 1, progress: { stage: 'evaluate', done: 12, total: 50, correct: 6 }, shards: null });
  expect(describeCycleStep({ cycle: 1, stage: 'evaluate', workflowId: 'w', activity: step })).toBe('cycle 1 evaluate, evaluate: 12 of 50, 50.0% right so far');
});

it('leaves out accuracy when an activity does not count right answers, and says when nothing reported yet', () => {
  const optimizing = sumPending([{ type: 'optimize', attempt: 1, details: { stage: 'bootstrap', done: 2, total: 8 } }]);
  expect(optimizing?.progress).toEqual({ stage: 'bootstrap', done: 2, total: 8 });
  expect(describeCycleStep({ cycle: 1, stage: 'optimize', workflowId: 'w', activity: optimizing })).toBe('cycle 1 optimize, bootstrap: 2 of 8');
  const silent = sumPending([{ type: 'optimize', attempt: 1, details: 'not progress' }]);
  expect(describeCycleStep({ cycle: 1, stage: 'optimize', workflowId: 'w', activity: silent })).toBe('cycle 1 optimize, optimize under way');
  expect(sumPending([])).toBeNull();
});
