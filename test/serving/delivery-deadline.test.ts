/**
 * A feedback delivery Temporal does not take before its deadline (here: no worker polls the learner's
 * task queue) fails as `TemporalUnavailable`, which serving answers 503 + Retry-After, whatever gRPC
 * status cut the call: some calls cut at the deadline end as CANCELLED rather than DEADLINE_EXCEEDED,
 * and those were answered 500 before.
 */
import { learnerTarget } from '../../src/serving/feedback-target';
import type { ServedTask } from '../../src/serving/tasks';
import { TemporalUnavailable } from '../../src/serving/temporal-errors';
import { startTemporal, type TemporalEnv } from '../support/temporal';
import { feedbackFor, keywordTask } from '../workflows/harness';

let env: TemporalEnv;
beforeAll(async () => {
  env = await startTemporal();
}, 60_000);
afterAll(async () => env?.stop());

it('fails every delivery left untaken at its deadline as TemporalUnavailable', async () => {
  const target = learnerTarget({ client: env.client, taskQueue: 'no-worker-polls-this', timeoutMs: 2_000 });
  const task = { name: 'untaken', rawSpec: keywordTask('untaken', 'http://127.0.0.1:9/v1') } as unknown as ServedTask;
  // Concurrent deliveries, in rounds: which status cuts a call at the deadline varies from call to call.
  for (let round = 0; round < 2; round++) {
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => target.deliver(task, [feedbackFor(round * 100 + i)])));
    const failures = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error) : new Error('delivered although no worker runs')));
    expect(failures.filter((e) => !(e instanceof TemporalUnavailable)).map((e) => `${e.name}: ${e.message}`)).toEqual([]);
  }
}, 60_000);
