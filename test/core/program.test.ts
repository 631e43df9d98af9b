import { renderOutputs } from '../../src/core/adapters';
import { ValidationError } from '../../src/core/errors';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import type { ChatMessage, Completion, CompletionOptions, LM } from '../../src/core/lm/types';
import { createProgram, predict, programSpecSchema } from '../../src/core/program';
import { parseSignature, SignatureError } from '../../src/core/signature';
import { startLMDouble, type LMDouble } from '../support/lm-double';

/** Records the options predict passes (choices and rolloutId never reach the HTTP wire). */
class RecordingLM implements LM {
  readonly id: string;
  readonly calls: { messages: ChatMessage[]; options?: CompletionOptions }[] = [];
  constructor(private readonly inner: LM) {
    this.id = inner.id;
  }
  complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion> {
    this.calls.push({ messages, options });
    return this.inner.complete(messages, options);
  }
}

const SENTIMENT = 'text -> sentiment: positive|negative';

describe('predict over the OpenAI-compatible double', () => {
  let double: LMDouble;
  let lm: RecordingLM;

  beforeAll(async () => {
    double = await startLMDouble();
    lm = new RecordingLM(new OpenAICompatibleLM({ model: 'double-model', baseURL: double.baseURL, retry: 'off' }));
  });
  afterAll(() => double.close());
  beforeEach(() => {
    double.reset();
    lm.calls.length = 0;
  });

  it('renders the program, passes enum choices and sampling, and parses the reply', async () => {
    double.setHandler(() => ({
      text: renderOutputs(parseSignature(SENTIMENT), { sentiment: 'negative' }),
      usage: { prompt_tokens: 42, completion_tokens: 7 },
    }));
    const program = createProgram(SENTIMENT, 'Classify the review.', { lm: { maxTokens: 32 } });
    const prediction = await predict(program, { text: 'battery died' }, lm, { rolloutId: 'r1', temperature: 0.7 });

    expect(prediction).toMatchObject({ ok: true, outputs: { sentiment: 'negative' }, cached: false, promptTokens: 42, completionTokens: 7 });
    expect(lm.calls[0]?.options).toEqual({ temperature: 0.7, maxTokens: 32, rolloutId: 'r1', choices: ['positive', 'negative'] });
    const request = double.requests[0];
    expect(request?.temperature).toBe(0.7);
    expect(request?.maxTokens).toBe(32);
    expect(request?.messages.at(-1)?.content).toContain('[[ ## text ## ]]\nbattery died');
  });

  it('passes no choices when the outputs are not a single enum', async () => {
    double.setHandler(() => renderOutputs(parseSignature('question -> answer, confidence: number'), { answer: 'Paris', confidence: 0.9 }));
    const prediction = await predict(createProgram('question -> answer, confidence: number'), { question: 'Capital of France?' }, lm);
    expect(prediction).toMatchObject({ ok: true, outputs: { answer: 'Paris', confidence: 0.9 } });
    expect(lm.calls[0]?.options).toEqual({ temperature: 0, maxTokens: 256 });
  });

  it('throws a ValidationError naming the field on bad inputs, before calling the LM', async () => {
    const program = createProgram(SENTIMENT);
    await expect(predict(program, { txt: 'x' }, lm)).rejects.toThrow(ValidationError);
    const error = await predict(program, { text: 42 }, lm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('inputs.text');
    expect(double.requests).toHaveLength(0);
  });

  it('returns an unparseable reply as a parse failure with the raw text', async () => {
    double.setHandler(() => '[[ ## sentiment ## ]]\nmaybe\n\n[[ ## completed ## ]]');
    const prediction = await predict(createProgram(SENTIMENT), { text: 'hmm' }, lm);
    expect(prediction).toMatchObject({
      ok: false,
      error: { kind: 'parse', message: expect.stringContaining('outputs.sentiment') },
      raw: expect.stringContaining('maybe'),
    });
  });

  it.each([
    [503, true],
    [400, false],
  ])('returns an HTTP %i as an lm failure with retryable=%s', async (status, retryable) => {
    double.setHandler(() => ({ status }));
    const prediction = await predict(createProgram(SENTIMENT), { text: 'x' }, lm);
    expect(prediction).toMatchObject({ ok: false, error: { kind: 'lm', retryable }, cached: false, promptTokens: 0 });
  });

  it('uses the completion adapter when the program says so', async () => {
    double.setHandler(() => 'Positive');
    const program = createProgram(SENTIMENT, 'Classify.', { adapter: 'completion' });
    const prediction = await predict(program, { text: 'love it' }, lm);
    expect(prediction).toMatchObject({ ok: true, outputs: { sentiment: 'positive' } });
    expect(double.requests[0]?.messages.at(-1)?.content).toBe('Text: love it\nSentiment:');
  });
});

describe('program specs', () => {
  it('fills defaults and validates the signature', () => {
    expect(programSpecSchema.parse({ signature: 'a -> b' })).toEqual({
      signature: 'a -> b',
      instructions: '',
      demos: [],
      adapter: 'chat',
      lm: { temperature: 0, maxTokens: 256 },
    });
    const bad = programSpecSchema.safeParse({ signature: 'a b' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('Invalid signature at position 2');
    expect(() => createProgram('a ->')).toThrow(SignatureError);
  });
});
