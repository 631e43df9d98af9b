import { chatAdapter, completionAdapter, getAdapter, renderOutputs } from '../../src/core/adapters';
import { createProgram } from '../../src/core/program';
import { parseSignature } from '../../src/core/signature';

const qa = parseSignature('question, context -> answer, confidence: number');
const sentiment = parseSignature('text -> sentiment: positive|negative|neutral');

describe('chatAdapter.parse', () => {
  it('round-trips rendered outputs, keeping multi-line values', () => {
    const outputs = { answer: 'Paris.\n\nIt has been the capital since 987.', confidence: 0.9 };
    const text = renderOutputs(qa, outputs);
    expect(text).toContain('[[ ## answer ## ]]\nParis.');
    expect(text.trimEnd().endsWith('[[ ## completed ## ]]')).toBe(true);
    expect(chatAdapter.parse(qa, text)).toEqual({ ok: true, outputs });
  });

  it('ignores preamble and keeps the first occurrence of a marker', () => {
    const text = 'Sure!\n[[ ## answer ## ]] Rome\n[[ ## confidence ## ]]\n0.5\n[[ ## answer ## ]]\nMilan';
    expect(chatAdapter.parse(qa, text)).toEqual({ ok: true, outputs: { answer: 'Rome', confidence: 0.5 } });
  });

  it('falls back to the first JSON object when markers are missing', () => {
    const text = 'Here you go: {"note": "{not json"} then {"answer": "Bern", "confidence": "0.7"} done';
    expect(chatAdapter.parse(qa, text)).toEqual({ ok: true, outputs: { answer: 'Bern', confidence: 0.7 } });
  });

  it('accepts a bare decorated label for a single enum output', () => {
    expect(chatAdapter.parse(sentiment, '  "Positive."\nBecause the reviewer loved it.')).toEqual({
      ok: true,
      outputs: { sentiment: 'positive' },
    });
  });

  it('does not take a bare reply for a multi-output signature', () => {
    const result = chatAdapter.parse(qa, 'Paris');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain('answer, confidence');
  });

  it('fails, naming the field, on an enum label outside the choices', () => {
    const result = chatAdapter.parse(sentiment, '[[ ## sentiment ## ]]\nhappy\n\n[[ ## completed ## ]]');
    expect(result).toEqual({ ok: false, message: 'outputs.sentiment: expected one of positive|negative|neutral, got "happy"' });
  });

  it('reports a missing output field as a failure, never a throw', () => {
    const text = renderOutputs(qa, { answer: 'Paris' });
    const result = chatAdapter.parse(qa, text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain('confidence');
    expect(chatAdapter.parse(qa, '')).toMatchObject({ ok: false });
    expect(chatAdapter.parse(qa, '{"answer": {"nested": 1}, "confidence": 1}')).toMatchObject({
      ok: false,
      message: expect.stringContaining('outputs.answer'),
    });
  });
});

describe('chatAdapter.format', () => {
  const program = createProgram('question: string "a trivia question" -> answer: string "a few words"', 'Answer tersely.', {
    demos: [
      { inputs: { question: 'Capital of France?' }, outputs: { answer: 'Paris' } },
      { inputs: { question: 'Capital of Italy?' }, outputs: { answer: 'Rome' }, augmented: true },
    ],
  });
  const messages = chatAdapter.format(program, { question: 'Capital of Spain?' });

  it('describes fields, structure and objective in the system message', () => {
    const system = messages[0];
    expect(system?.role).toBe('system');
    expect(system?.content).toContain('1. `question` (string): a trivia question');
    expect(system?.content).toContain('1. `answer` (string): a few words');
    expect(system?.content).toContain('[[ ## question ## ]]\n{question}');
    expect(system?.content).toContain('[[ ## completed ## ]]');
    expect(system?.content).toMatch(/your objective is: \n\s+Answer tersely\.$/);
  });

  it('renders demos as user/assistant pairs in order, then the inputs with a reminder', () => {
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[1]?.content).toBe('[[ ## question ## ]]\nCapital of France?');
    expect(messages[2]?.content).toBe('[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]');
    expect(messages[3]?.content).toBe('[[ ## question ## ]]\nCapital of Italy?');
    expect(messages[4]?.content).toContain('Rome');
    expect(messages[5]?.content).toContain('[[ ## question ## ]]\nCapital of Spain?');
    expect(messages[5]?.content).toContain('starting with the field `[[ ## answer ## ]]`');
  });

  it('lists enum choices and a default objective when there are no instructions', () => {
    const system = chatAdapter.format(createProgram(sentiment.source), { text: 'meh' })[0]?.content ?? '';
    expect(system).toContain('`sentiment` (one of: positive, negative, neutral)');
    expect(system).toContain('must exactly match (no extra characters) one of: positive; negative; neutral');
    expect(system).toContain('Given the fields `text`, produce the fields `sentiment`.');
  });
});

describe('completionAdapter', () => {
  const program = createProgram('review_text -> sentiment: positive|negative', 'Classify the review.', {
    adapter: 'completion',
    demos: [{ inputs: { review_text: 'great phone' }, outputs: { sentiment: 'positive' } }],
  });

  it('formats plain Name: value prompts ending with the output prefix', () => {
    expect(completionAdapter.format(program, { review_text: 'battery died' })).toEqual([
      { role: 'system', content: 'Classify the review.\nSentiment must be one of: positive, negative.' },
      { role: 'user', content: 'Review Text: great phone\nSentiment:' },
      { role: 'assistant', content: 'positive' },
      { role: 'user', content: 'Review Text: battery died\nSentiment:' },
    ]);
  });

  it('parses a bare value, an echoed prefix, and further outputs as labelled lines', () => {
    const sig = parseSignature(program.signature);
    expect(completionAdapter.parse(sig, ' Negative\nReview Text: next one')).toEqual({ ok: true, outputs: { sentiment: 'negative' } });
    expect(completionAdapter.parse(sig, 'Sentiment: positive')).toEqual({ ok: true, outputs: { sentiment: 'positive' } });
    expect(completionAdapter.parse(sig, 'so-so')).toMatchObject({ ok: false, message: expect.stringContaining('outputs.sentiment') });
    expect(completionAdapter.parse(sig, '')).toMatchObject({ ok: false, message: expect.stringContaining('sentiment') });

    const multi = parseSignature('question -> answer, confidence: number');
    const demo = createProgram(multi.source, '', {
      adapter: 'completion',
      demos: [{ inputs: { question: 'q1' }, outputs: { answer: 'a1', confidence: 1 } }],
    });
    expect(completionAdapter.format(demo, { question: 'q2' })[2]?.content).toBe('a1\nConfidence: 1');
    expect(completionAdapter.parse(multi, 'Paris\nConfidence: 0.8')).toEqual({ ok: true, outputs: { answer: 'Paris', confidence: 0.8 } });
  });

  it('is selected by name', () => {
    expect(getAdapter('completion')).toBe(completionAdapter);
    expect(getAdapter('chat')).toBe(chatAdapter);
  });
});
