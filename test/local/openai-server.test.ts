import OpenAI, { BadRequestError } from 'openai';
import { modelsDir } from '../../src/models/location';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import { startOpenAIServer, type OpenAIServer } from '../../src/server/openai-server';
import { describeWithModel, TEST_MODEL } from './model-available';

describeWithModel('OpenAI-compatible server over the local model', () => {
  let server: OpenAIServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startOpenAIServer({ lm: await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() }), modelName: TEST_MODEL });
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
