import OpenAI from 'openai';
import { startLMDouble, type LMDouble } from '../support/lm-double';

describe('LM double (OpenAI-compatible test server)', () => {
  let double: LMDouble;
  let client: OpenAI;

  beforeAll(async () => {
    double = await startLMDouble();
    client = new OpenAI({ baseURL: double.baseURL, apiKey: 'test-key', maxRetries: 0 });
  });
  afterAll(() => double.close());
  beforeEach(() => {
    double.reset();
    double.setHandler(() => 'ok');
  });

  it('answers with a chat.completion the real client parses, with estimated usage', async () => {
    const res = await client.chat.completions.create({
      model: 'm1',
      messages: [{ role: 'user', content: 'one two three' }],
      temperature: 0.3,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('m1');
    expect(res.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'ok' });
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
    expect(double.requests).toHaveLength(1);
    expect(double.requests[0]).toMatchObject({ model: 'm1', temperature: 0.3, messages: [{ role: 'user', content: 'one two three' }] });
    expect(double.requests[0]?.headers.authorization).toBe('Bearer test-key');
  });

  it('honours both max_tokens and max_completion_tokens', async () => {
    const messages = [{ role: 'user' as const, content: 'x' }];
    await client.chat.completions.create({ model: 'm', messages, max_tokens: 7 });
    await client.chat.completions.create({ model: 'm', messages, max_completion_tokens: 9 });
    await client.chat.completions.create({ model: 'm', messages });
    expect(double.requests.map((r) => r.maxTokens)).toEqual([7, 9, undefined]);
  });

  it('passes the handler the request index and uses given usage', async () => {
    double.setHandler((req, i) => ({ text: `${req.messages[0]?.content}#${i}`, usage: { prompt_tokens: 11, completion_tokens: 22 } }));
    const a = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a' }] });
    const b = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'b' }] });
    expect([a.choices[0]?.message.content, b.choices[0]?.message.content]).toEqual(['a#0', 'b#1']);
    expect(b.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 22 });
  });

  it('returns errors in the OpenAI error shape with headers', async () => {
    double.setHandler(() => ({ status: 429, headers: { 'retry-after': '3' } }));
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(429);
    expect(apiErr.headers?.get('retry-after')).toBe('3');
    expect(apiErr.error).toMatchObject({ type: 'rate_limit_error', code: '429' });
  });

  it('counts concurrent delayed requests in maxInFlight', async () => {
    double.setHandler(() => ({ text: 'slow', delayMs: 150 }));
    const call = () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    await Promise.all([call(), call(), call()]);
    expect(double.maxInFlight).toBe(3);
    expect(double.inFlight).toBe(0);
    double.reset();
    expect(double.maxInFlight).toBe(0);
    expect(double.requests).toHaveLength(0);
  });

  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['double-model']);
  });
});
