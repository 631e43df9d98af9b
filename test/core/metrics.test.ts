import { exactMatch, labelAccuracy, metricFromSpec, normalizeAnswer, tokenF1 } from '../../src/core/metrics';
import type { Example } from '../../src/core/types';

const example = (outputs: Example['outputs'], alternatives?: Example['alternatives']): Example => ({ id: 'e1', inputs: { question: 'q' }, outputs, alternatives });

describe('normalizeAnswer (SQuAD)', () => {
  it('lower-cases, strips punctuation and articles, collapses spaces', () => {
    expect(normalizeAnswer('  The  Eiffel-Tower, in PARIS! ')).toBe('eiffeltower in paris');
    expect(normalizeAnswer('An apple a day')).toBe('apple day');
    expect(normalizeAnswer('theatre')).toBe('theatre');
  });
});

describe('tokenF1', () => {
  it('scores token overlap as SQuAD does', () => {
    const metric = tokenF1();
    expect(metric(example({ answer: 'a cat sat down' }), { answer: 'the cat sat' }).score).toBeCloseTo(0.8);
    expect(metric(example({ answer: 'cat' }), { answer: 'dog' })).toMatchObject({ score: 0, passed: false });
    // Repeated tokens count only as often as they appear in the gold answer.
    expect(metric(example({ answer: 'cat' }), { answer: 'cat cat' }).score).toBeCloseTo(2 / 3);
  });

  it('passes at the threshold and takes the best alternative', () => {
    const metric = tokenF1('answer', 0.8);
    expect(metric(example({ answer: 'a cat sat down' }), { answer: 'the cat sat' }).passed).toBe(true);
    expect(tokenF1('answer', 0.81)(example({ answer: 'a cat sat down' }), { answer: 'the cat sat' }).passed).toBe(false);
    expect(metric(example({ answer: 'dog' }, { answer: ['dog', 'the cat sat'] }), { answer: 'cat sat' }).score).toBe(1);
  });
});

describe('exactMatch', () => {
  it('compares normalised answers and accepts any alternative', () => {
    const metric = exactMatch();
    expect(metric(example({ answer: 'The Beatles' }), { answer: 'beatles.' })).toMatchObject({ score: 1, passed: true });
    expect(metric(example({ answer: 'NYC' }, { answer: ['NYC', 'New York City'] }), { answer: 'new york city' }).passed).toBe(true);
    // A separator inside one answer is just text: the answer list is the only source of alternatives.
    expect(metric(example({ answer: 'NYC|||New York City' }), { answer: 'new york city' }).passed).toBe(false);
    const miss = metric(example({ answer: 'Paris' }), { answer: 'Lyon' });
    expect(miss).toMatchObject({ score: 0, passed: false, details: 'expected "Paris", got "Lyon"' });
  });

  it('scores a missing predicted field as wrong and uses the first gold field by default', () => {
    expect(exactMatch()(example({ answer: 'x', other: 'y' }), { other: 'y' })).toMatchObject({ score: 0, passed: false });
    expect(exactMatch('other')(example({ answer: 'x', other: 'y' }), { other: 'Y' }).passed).toBe(true);
  });
});

describe('labelAccuracy', () => {
  it('is trimmed, case-insensitive equality', () => {
    const metric = labelAccuracy('sentiment');
    expect(metric(example({ sentiment: 'positive' }), { sentiment: ' Positive ' }).passed).toBe(true);
    expect(metric(example({ sentiment: 'positive' }), { sentiment: 'positive!' }).passed).toBe(false);
  });
});

describe('metricFromSpec', () => {
  it('builds the named metric on the named field', () => {
    const metric = metricFromSpec({ name: 'token_f1', field: 'answer' });
    expect(metric(example({ label: 'x', answer: 'a cat sat down' }), { answer: 'the cat sat' }).score).toBeCloseTo(0.8);
    expect(metricFromSpec({ name: 'label_accuracy' })(example({ s: 'A' }), { s: 'a' }).passed).toBe(true);
    expect(metricFromSpec({ name: 'exact_match' })(example({ s: 'the a' }), { s: 'an' }).passed).toBe(true);
  });
});
