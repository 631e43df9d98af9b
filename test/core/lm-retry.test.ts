import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { classifyLMError, LMError, parseRetryAfter, redact } from '../../src/core/lm/errors';
import { withRetry } from '../../src/core/lm/retry';

const apiError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: `status ${status}` }, undefined, new Headers(headers));

describe('classifyLMError', () => {
  it.each([
    [429, 'rate_limit', true],
    [408, 'timeout', true],
    [409, 'server', true],
    [500, 'server', true],
    [503, 'server', true],
    [400, 'bad_request', false],
    [422, 'bad_request', false],
    [401, 'auth', false],
    [403, 'forbidden', false],
    [404, 'not_found', false],
  ] as const)('maps openai APIError %i to %s (retryable %s)', (status, kind, retryable) => {
    expect(classifyLMError(apiError(status))).toMatchObject({ kind, retryable, status });
  });

  it('maps connection errors and timeouts from the openai package', () => {
    expect(classifyLMError(new APIConnectionTimeoutError())).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classifyLMError(new APIConnectionError({ message: 'Connection error.' }))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('maps generic errors by status, socket code or name', () => {
    expect(classifyLMError(Object.assign(new Error('x'), { status: 502 }))).toMatchObject({ kind: 'server', retryable: true });
    expect(classifyLMError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toMatchObject({ kind: 'network', retryable: true });
    expect(classifyLMError(new Error('fetch failed', { cause: Object.assign(new Error('t'), { code: 'ETIMEDOUT' }) }))).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classifyLMError(new TypeError('bug'))).toMatchObject({ kind: 'unknown', retryable: false });
    expect(classifyLMError('a string')).toMatchObject({ kind: 'unknown', message: 'a string' });
  });

  it('reads Retry-After from the response headers', () => {
    expect(classifyLMError(apiError(429, { 'retry-after': '2' })).retryAfterMs).toBe(2000);
  });

  it('returns an LMError unchanged and keeps secrets out of messages', () => {
    const original = new LMError('x', { kind: 'server', retryable: true });
    expect(classifyLMError(original)).toBe(original);
    const err = classifyLMError(new Error('bad key my-custom-secret and sk-abcdefghijklmnop'), ['my-custom-secret']);
    expect(err.message).toBe('bad key *** and sk-***');
    expect(redact('no secrets here')).toBe('no secrets here');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, HTTP dates and retry-after-ms (which wins)', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '1.5' }))).toBe(1500);
    expect(parseRetryAfter({ 'Retry-After': 'Wed, 01 Jan 2025 00:00:03 GMT' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': '9', 'retry-after-ms': '250' }))).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('withRetry', () => {
  const retryable = (retryAfterMs?: number) => new LMError('busy', { kind: 'server', retryable: true, retryAfterMs });

  function failing(failures: number, error: () => Error) {
    const calls: number[] = [];
    const fn = async (attempt: number) => {
      calls.push(attempt);
      if (calls.length <= failures) throw error();
      return 'done';
    };
    return { fn, calls };
  }

  it('backs off exponentially with jitter inside [step/2, step], capped by maxDelayMs', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const { fn } = failing(4, () => retryable());
    await expect(withRetry(fn, { baseDelayMs: 100, maxDelayMs: 500, sleep, random: () => 0 })).resolves.toBe('done');
    expect(waits).toEqual([50, 100, 200, 250]);
    waits.length = 0;
    await withRetry(failing(2, () => retryable()).fn, { baseDelayMs: 100, sleep, random: () => 0.999999 });
    expect(waits.map(Math.round)).toEqual([100, 200]);
  });

  it("honours the server's retryAfterMs", async () => {
    const waits: number[] = [];
    await withRetry(failing(1, () => retryable(1234)).fn, { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([1234]);
  });

  it('surfaces a Retry-After longer than maxDelayMs instead of waiting less', async () => {
    const { fn, calls } = failing(1, () => retryable(60_000));
    await expect(withRetry(fn, { maxDelayMs: 20_000, sleep: async () => {} })).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(calls).toHaveLength(1);
  });

  it('stops after maxRetries and rethrows the last error', async () => {
    const { fn, calls } = failing(10, () => retryable());
    await expect(withRetry(fn, { maxRetries: 2, sleep: async () => {} })).rejects.toBeInstanceOf(LMError);
    expect(calls).toEqual([0, 1, 2]);
  });

  it('does not retry non-retryable LMErrors or foreign errors', async () => {
    const auth = failing(1, () => new LMError('no', { kind: 'auth', retryable: false }));
    await expect(withRetry(auth.fn, { sleep: async () => {} })).rejects.toMatchObject({ kind: 'auth' });
    expect(auth.calls).toHaveLength(1);
    const bug = failing(1, () => new TypeError('bug'));
    await expect(withRetry(bug.fn, { sleep: async () => {} })).rejects.toBeInstanceOf(TypeError);
    expect(bug.calls).toHaveLength(1);
  });
});
