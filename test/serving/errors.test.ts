/**
 * The HTTP answers of the error mapping, pinned on a real Fastify instance: every retryable refusal is
 * a 503 with Retry-After, its own code and a message saying nothing was accepted; the rest keep their
 * 4xx or fall through to 500. Served over loopback HTTP.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ValidationError } from '../../src/core/errors';
import { errorHandler, RETRY_AFTER_S } from '../../src/serving/errors';
import { LearnerBusy, TemporalUnavailable } from '../../src/serving/temporal-errors';

let app: FastifyInstance;
let url: string;
const get = async (path: string) => fetch(`${url}${path}`);

beforeAll(async () => {
  app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  const thrower = (err: Error) => async () => Promise.reject(err);
  app.get('/temporal', thrower(new TemporalUnavailable('Temporal is unreachable: connect ECONNREFUSED')));
  app.get('/busy', thrower(new LearnerBusy('the learner of task "t" is busy')));
  app.get('/invalid', thrower(new ValidationError('correct.sentiment', 'correct.sentiment: expected one of positive|negative')));
  app.get('/bug', thrower(new Error('a bug')));
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => app?.close());

it.each([
  ['/temporal', 'temporal_unavailable', 'Temporal is unreachable: connect ECONNREFUSED; nothing was accepted, retry later'],
  ['/busy', 'learner_busy', 'the learner of task "t" is busy; nothing was accepted, retry later'],
])('%s answers 503 %s with Retry-After', async (path, code, message) => {
  const res = await get(path);
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER_S));
  expect(await res.json()).toEqual({ error: { code, message } });
});

it('keeps a validation error a 400 naming the field, and anything unknown a 500 without Retry-After', async () => {
  const invalid = await get('/invalid');
  expect(invalid.status).toBe(400);
  expect(await invalid.json()).toEqual({ error: { code: 'invalid_request', message: 'correct.sentiment: expected one of positive|negative', field: 'correct.sentiment' } });
  expect(invalid.headers.get('retry-after')).toBeNull();
  const bug = await get('/bug');
  expect(bug.status).toBe(500);
  expect(await bug.json()).toEqual({ error: { code: 'internal', message: 'internal error (see the server log)' } });
  expect(bug.headers.get('retry-after')).toBeNull();
});
