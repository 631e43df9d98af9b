import { LMError } from '../../src/core/lm/errors';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const SECRET = 'sk-test-SECRET-abcdef0123456789';
const user = (content: string) => [{ role: 'user' as const, content }];

describe('OpenAICompatibleLM against the HTTP double', () => {
  let double: LMDouble;
  const savedEnv = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };

  beforeAll(async () => {
    double = await startLMDouble();
  });
  afterAll(() => double.close());
  beforeEach(() => {
    double.reset();
    double.setHandler(() => 'ok');
    delete process.env.OPENAI_BASE_URL;
    delete process.env.OPENAI_API_KEY;
  });
  afterEach(() => {
    for (const [name, value] of [['OPENAI_BASE_URL', savedEnv.base], ['OPENAI_API_KEY', savedEnv.key]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const lm = (extra: Partial<ConstructorParameters<typeof OpenAICompatibleLM>[0]> = {}) =>
    new OpenAICompatibleLM({ model: 'tiny', baseURL: double.baseURL, apiKey: SECRET, ...extra });

  it('sends model, messages, temperature, max_tokens and stop; returns text, usage and latency', async () => {
    double.setHandler(() => ({ text: 'Paris', usage: { prompt_tokens: 12, completion_tokens: 3 } }));
    const out = await lm().complete(user('capital of France?'), { temperature: 0.7, maxTokens: 16, stop: ['\n'], choices: ['a'] });
    expect(out).toMatchObject({ text: 'Paris', usage: { promptTokens: 12, completionTokens: 3 }, cached: false });
    expect(out.latencyMs).toBeGreaterThan(0);
    const req = double.requests[0]!;
    expect(req).toMatchObject({ model: 'tiny', temperature: 0.7, maxTokens: 16, messages: user('capital of France?') });
    expect(req.body.max_tokens).toBe(16);
    expect(req.body.stop).toEqual(['\n']);
    expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('reports 0 tokens when the server sends no usage', async () => {
    double.setHandler(() => ({ status: 200, body: { id: 'x', object: 'chat.completion', created: 0, model: 'tiny', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] } }));
    expect((await lm().complete(user('x'))).usage).toEqual({ promptTokens: 0, completionTokens: 0 });
  });

  it('has an id naming model and host but never the key', () => {
    const { id } = lm();
    expect(id).toBe(`openai:tiny@${new URL(double.baseURL).host}`);
    expect(id).not.toContain(SECRET);
  });

  it('takes baseURL and key from the environment, with a placeholder key for custom endpoints', async () => {
    process.env.OPENAI_BASE_URL = double.baseURL;
    await new OpenAICompatibleLM({ model: 'tiny' }).complete(user('x'));
    expect(double.requests[0]?.headers.authorization).toBe('Bearer not-needed');
    process.env.OPENAI_API_KEY = SECRET;
    await new OpenAICompatibleLM({ model: 'tiny' }).complete(user('x'));
    expect(double.requests[1]?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('refuses to call OpenAI itself without a key', () => {
    expect(() => new OpenAICompatibleLM({ model: 'gpt-4o-mini' })).toThrow(/OPENAI_API_KEY/);
  });

  it('retries a 429 after its Retry-After of 1 s, then succeeds', async () => {
    double.setHandler((_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 'after wait'));
    const started = Date.now();
    const out = await lm().complete(user('x'));
    expect(out.text).toBe('after wait');
    expect(double.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 with backoff', async () => {
    double.setHandler((_req, i) => (i === 0 ? { status: 500 } : 'recovered'));
    expect((await lm().complete(user('x'))).text).toBe('recovered');
    expect(double.requests).toHaveLength(2);
  });

  it('gives up after maxRetries and throws the classified error', async () => {
    double.setHandler(() => ({ status: 503, headers: { 'retry-after-ms': '5' } }));
    const err = await lm({ maxRetries: 2 }).complete(user('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LMError);
    expect(err).toMatchObject({ kind: 'server', status: 503, retryable: true });
    expect(double.requests).toHaveLength(3);
  });

  it('does not retry a 401: one request, non-retryable auth error without the key in its message', async () => {
    double.setHandler(() => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${SECRET}`, type: 'invalid_request_error', code: 'invalid_api_key' } } }));
    const err = await lm().complete(user('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LMError);
    expect(err).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect((err as LMError).message).toContain('Incorrect API key');
    expect((err as LMError).message).not.toContain(SECRET);
    expect(double.requests).toHaveLength(1);
  });

  it("with retry 'off' throws at once: 503 retryable, 400 not", async () => {
    const off = lm({ retry: 'off' });
    double.setHandler(() => ({ status: 503 }));
    await expect(off.complete(user('x'))).rejects.toMatchObject({ kind: 'server', status: 503, retryable: true });
    expect(double.requests).toHaveLength(1);
    double.setHandler(() => ({ status: 400 }));
    await expect(off.complete(user('x'))).rejects.toMatchObject({ kind: 'bad_request', status: 400, retryable: false });
    expect(double.requests).toHaveLength(2);
  });

  describe('label probabilities (scoreChoices)', () => {
    const labels = { choices: ['positive', 'negative'], scoreChoices: true };

    it('asks for logprobs with the top 20 and reads each label from the answer token, in order', async () => {
      double.setHandler(() => ({ text: 'negative', choiceProbs: { negative: 0.75, positive: 0.25 } }));
      const out = await lm().complete(user('x'), { temperature: 0, ...labels });
      expect(out.text).toBe('negative');
      expect(out.choiceLogProbs).toEqual([expect.closeTo(Math.log(0.25), 10), expect.closeTo(Math.log(0.75), 10)]);
      expect(double.requests[0]?.body).toMatchObject({ logprobs: true, top_logprobs: 20 });
    });

    it('asks for nothing without scoreChoices, and reports none', async () => {
      double.setHandler(() => ({ text: 'negative', choiceProbs: { negative: 0.75, positive: 0.25 } }));
      const out = await lm().complete(user('x'), { choices: labels.choices });
      expect(out.choiceLogProbs).toBeUndefined();
      expect(double.requests[0]?.body).not.toHaveProperty('logprobs');
      expect(double.requests[0]?.body).not.toHaveProperty('top_logprobs');
    });

    it('bounds a label missing from the top tokens, and reports none when no label is there', async () => {
      double.setHandler(() => ({ text: 'negative', choiceProbs: { negative: 0.6, maybe: 0.3 } }));
      const bounded = await lm().complete(user('x'), labels);
      expect(bounded.choiceLogProbs).toEqual([expect.closeTo(Math.log(0.1), 10), expect.closeTo(Math.log(0.6), 10)]);
      double.setHandler(() => ({ text: 'maybe', choiceProbs: { maybe: 0.7, perhaps: 0.3 } }));
      const none = await lm().complete(user('x'), labels);
      expect(none).toMatchObject({ text: 'maybe' });
      expect(none.choiceLogProbs).toBeUndefined();
    });

    it('reports none from an endpoint that ignores logprobs', async () => {
      const reply = { id: 'c', object: 'chat.completion', created: 0, model: 'tiny', choices: [{ index: 0, message: { role: 'assistant', content: 'positive' }, finish_reason: 'stop' }] };
      double.setHandler(() => ({ status: 200, body: reply }));
      const out = await lm().complete(user('x'), labels);
      expect(out.text).toBe('positive');
      expect(out.choiceLogProbs).toBeUndefined();
    });

    it('asks once more without logprobs when the endpoint refuses them, then no longer asks', async () => {
      const refusal = { error: { message: "Unsupported parameter: 'logprobs' is not supported with this model.", type: 'invalid_request_error', param: 'logprobs', code: 'unsupported_parameter' } };
      double.setHandler((req) => (req.body.logprobs ? { status: 400, body: refusal } : 'positive'));
      const once = lm({ retry: 'off' });
      const first = await once.complete(user('x'), labels);
      expect(first.text).toBe('positive');
      expect(first.choiceLogProbs).toBeUndefined();
      expect(double.requests.map((r) => r.body.logprobs)).toEqual([true, undefined]);
      await once.complete(user('y'), labels);
      expect(double.requests).toHaveLength(3);
      // Any other 400 is still the caller's error.
      double.setHandler(() => ({ status: 400 }));
      await expect(once.complete(user('z'), labels)).rejects.toMatchObject({ kind: 'bad_request' });
    });

    it('returns every token with its top alternatives when topLogProbs asks', async () => {
      double.setHandler(() => ({ text: 'so negative', choiceProbs: { negative: 0.6, positive: 0.4 } }));
      const out = await lm().complete(user('x'), { topLogProbs: 2 });
      expect(double.requests[0]?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
      expect(out.tokenLogProbs).toEqual([
        { token: 'so', logProb: 0, top: [{ token: 'so', logProb: 0 }] },
        { token: ' negative', logProb: expect.closeTo(Math.log(0.6), 10), top: [{ token: ' negative', logProb: expect.closeTo(Math.log(0.6), 10) }, { token: ' positive', logProb: expect.closeTo(Math.log(0.4), 10) }] },
      ]);
    });
  });

  it('classifies a request timeout as retryable kind timeout', async () => {
    double.setHandler(() => ({ text: 'late', delayMs: 500 }));
    await expect(lm({ retry: 'off', timeoutMs: 50 }).complete(user('x'))).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('classifies a refused connection as retryable kind network', async () => {
    const closed = await startLMDouble();
    const baseURL = closed.baseURL;
    await closed.close();
    await expect(new OpenAICompatibleLM({ model: 'm', baseURL, retry: 'off' }).complete(user('x'))).rejects.toMatchObject({ kind: 'network', retryable: true });
  });
});
