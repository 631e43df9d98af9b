/**
 * Temporal goes away under `kkachi serve`: predictions keep being answered, feedback is refused with
 * 503 and Retry-After (nothing accepted, nothing lost), and once the server is back the client's retry
 * lands, counted exactly once by the learner and stored once.
 */
import { setUpRunningHarness, waitForStatus, type Harness } from '../workflows/harness';
import { serve, startLearner, type Served } from './support';

let h: Harness;
let s: Served;
let learnerHandle: Awaited<ReturnType<typeof startLearner>>['handle'];

beforeAll(async () => {
  h = await setUpRunningHarness();
  ({ handle: learnerHandle } = await startLearner(h, 'outage'));
  s = await serve(h, { temporalTimeoutMs: 2_000 });
}, 90_000);
afterAll(async () => {
  await s?.close();
  await h?.stop();
});

const predict = (text: string) => s.call('POST', '/v1/tasks/outage/predict', { inputs: { text } });

it('answers 503 + Retry-After while Temporal is down, and the retry after it returns counts once', async () => {
  const before = await predict('Review 1: the zorp arrived on Tuesday.');
  const during = { predictionId: before.body.predictionId, correct: { sentiment: 'positive' } };
  await h.env.stopServer();
  try {
    const refused = await s.call('POST', '/v1/tasks/outage/feedback', during);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.error.code).toBe('temporal_unavailable');
    // Predictions need only the store, and a replica stays ready.
    expect((await predict('Review 2: the glorp was something else.')).status).toBe(200);
    const ready = await s.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.temporal).toMatch(/^failing/);
  } finally {
    await h.env.startServer();
  }

  // The client retries as told until the request lands.
  const deadline = Date.now() + 60_000;
  let retried = await s.call('POST', '/v1/tasks/outage/feedback', during);
  while (retried.status === 503 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    retried = await s.call('POST', '/v1/tasks/outage/feedback', during);
  }
  expect(retried.status).toBe(202);
  expect(retried.body).toEqual({ predictionId: during.predictionId, accepted: true, duplicate: false });
  const repeat = await s.call('POST', '/v1/tasks/outage/feedback', during);
  expect(repeat.body).toMatchObject({ accepted: false, duplicate: true });

  const status = await waitForStatus(learnerHandle, (st) => st.counters.received >= 1 && st.buffered === 0, 90_000);
  expect(status.counters).toMatchObject({ received: 1, corrections: expect.any(Number), rejected: 0 });
  expect((await h.store.listFeedback('outage')).filter((r) => r.predictionId === during.predictionId)).toHaveLength(1);
}, 180_000);
