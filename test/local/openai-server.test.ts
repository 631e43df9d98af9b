import OpenAI, { BadRequestError } from 'openai';
import { completionAdapter } from '../../src/core/adapters/completion';
import { modelsDir } from '../../src/models/location';
import { createLocalLM } from '../../src/core/lm/local';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import type { LM } from '../../src/core/lm/types';
import { createProgram } from '../../src/core/program';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import { startOpenAIServer, type OpenAIServer } from '../../src/server/openai-server';
import { describeWithModel, TEST_MODEL } from './model-available';

describeWithModel('OpenAI-compatible server over the local model', () => {
  let server: OpenAIServer;
  let client: OpenAI;
  let local: LM;
  beforeAll(async () => {
    local = await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() });
    server = await startOpenAIServer({ lm: local, modelName: TEST_MODEL });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await disposeLocalRuntimes();
  });

  it('listens on loopback and lists its model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([TEST_MODEL]);
  });

  it('answers chat.completions.create with a chat.completion and usage', async () => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [
        { role: 'system', content: 'Classify the sentiment.' },
        { role: 'user', content: 'Text: I love this phone\nSentiment:' },
      ],
      max_tokens: 4,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(TEST_MODEL);
    expect(completion.choices[0]?.message.role).toBe('assistant');
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(5);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
  });

  it.each([['max_tokens'], ['max_completion_tokens']])('honours %s', async (field) => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Count to fifty: one, two, three, four,' }],
      [field]: 3,
    });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('answers embeddings.create with one float vector per input, from the model itself', async () => {
    const response = await client.embeddings.create({ model: TEST_MODEL, input: ['I love this phone', 'It broke'], encoding_format: 'float' });
    expect(response.data.map((d) => d.index)).toEqual([0, 1]);
    expect(response.data.map((d) => d.embedding.length)).toEqual([576, 576]);
    const bad = await client.embeddings.create({ model: TEST_MODEL, input: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).param).toBe('input');
  });

  it('rejects a bad body with a 400 whose error names the field', async () => {
    const attempt = client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'robot', content: 'hi' } as never],
    });
    await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
    const error = (await attempt.catch((e: unknown) => e)) as BadRequestError;
    expect(error.status).toBe(400);
    expect(error.param).toBe('messages.0.role');
    expect(error.message).toContain('messages.0.role');
  });

  it('returns OpenAI logprobs for the reply up to its first visible token, the reply unchanged', async () => {
    const request = { model: TEST_MODEL, messages: [{ role: 'user' as const, content: 'Count to fifty: one, two, three, four,' }], max_tokens: 6 };
    const completion = await client.chat.completions.create({ ...request, logprobs: true, top_logprobs: 5 });
    const choice = completion.choices[0];
    const content = choice?.logprobs?.content ?? [];
    // Leading whitespace tokens, then the first visible one: where a label answer starts.
    expect(content.length).toBeGreaterThan(0);
    expect(content.length).toBeLessThanOrEqual(completion.usage?.completion_tokens ?? 0);
    expect(content.slice(0, -1).every((t) => t.token.trim() === '')).toBe(true);
    expect(content.at(-1)?.token.trim()).not.toBe('');
    expect(choice?.message.content?.startsWith(content.map((t) => t.token).join('').trim())).toBe(true);
    for (const entry of content) {
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, 'utf8')]);
      const tops = entry.top_logprobs.map((t) => t.logprob);
      expect(tops).toHaveLength(5);
      expect(tops).toEqual([...tops].sort((a, b) => b - a));
      expect(Math.max(...tops)).toBeLessThanOrEqual(0);
      // Greedy: the chosen token is the likeliest one.
      expect(entry.top_logprobs[0]).toEqual({ token: entry.token, logprob: entry.logprob, bytes: entry.bytes });
    }
    const plain = await client.chat.completions.create(request);
    expect(plain.choices[0]?.message.content).toBe(choice?.message.content);
    expect(plain.usage?.completion_tokens).toBe(completion.usage?.completion_tokens);
    expect(plain.choices[0]?.logprobs).toBeNull();
  });

  it.each([
    [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    [{ top_logprobs: 2 }, 'top_logprobs'],
    [{ logprobs: 'yes' }, 'logprobs'],
  ])('rejects %j with a 400 naming %s', async (fields, param) => {
    const error = await client.chat.completions.create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1, ...(fields as object) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).param).toBe(param);
  });

  it("gives the OpenAI provider label probabilities that rank the labels as the embedded model's own", async () => {
    const remote = new OpenAICompatibleLM({ model: TEST_MODEL, baseURL: server.baseURL, retry: 'off' });
    const program = createProgram('text -> sentiment: positive|negative', '', { adapter: 'completion' });
    const choices = ['positive', 'negative'];
    for (const text of ['I love this phone, it is great', 'It broke after one day, a waste of money']) {
      const messages = completionAdapter.format(program, { text });
      const whole = (await local.complete(messages, { temperature: 0, choices, scoreChoices: true })).choiceLogProbs;
      const first = (await remote.complete(messages, { temperature: 0, maxTokens: 2, choices, scoreChoices: true })).choiceLogProbs;
      console.log(`${text}: embedded ${JSON.stringify(whole)}, over HTTP ${JSON.stringify(first)}`);
      expect(whole).toHaveLength(2);
      expect(first).toHaveLength(2);
      const argmax = (lps: number[]) => lps.indexOf(Math.max(...lps));
      expect(argmax(first!)).toBe(argmax(whole!));
      // Over HTTP a label reads as its likeliest first token, never less likely than the whole label
      // (the same distribution: both evaluate the prompt in the same aligned chunks).
      first!.forEach((lp, i) => expect(lp).toBeGreaterThanOrEqual((whole![i] as number) - 1e-6));
    }
  });

  it('refuses to bind a non-loopback address', async () => {
    await expect(startOpenAIServer({ lm: await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() }), host: '0.0.0.0' })).rejects.toThrow('loopback only');
  });
});

describeWithModel(
  'a base model served with the plain rendering',
  () => {
    let server: OpenAIServer;
    let client: OpenAI;
    beforeAll(async () => {
      server = await startOpenAIServer({ lm: await createLocalLM({ model: 'gemma3-270m', modelsDir: modelsDir() }), modelName: 'gemma3-270m' });
      client = new OpenAI({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
    });
    afterAll(async () => {
      await server.close();
      await disposeLocalRuntimes();
    });

    // Gemma 3 270M opens its reply to a chat-style prompt with a blank line, the plain rendering's turn end.
    it('answers a chat-style prompt (DSPy field markers) with text, not an empty reply', async () => {
      const completion = await client.chat.completions.create({
        model: 'gemma3-270m',
        messages: [
          { role: 'system', content: 'Your input fields are:\n1. `text` (str)\nYour output fields are:\n1. `sentiment` (Literal["positive", "negative"])' },
          { role: 'user', content: '[[ ## text ## ]]\nI love this phone\n\nRespond with the corresponding output fields, starting with the field `[[ ## sentiment ## ]]`.' },
        ],
        max_tokens: 24,
      });
      expect(completion.choices[0]?.message.content?.trim().length).toBeGreaterThan(0);
    });
  },
  'gemma3-270m',
);
