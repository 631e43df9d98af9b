import { isCorrection } from '../../src/core/correction';
import { outputSchema, parseSignature } from '../../src/core/signature';

describe('isCorrection: the one rule the learner and the store share', () => {
  it('a differing output field is a correction; equal fields in any order are not', () => {
    expect(isCorrection({ sentiment: 'positive' }, { sentiment: 'negative' })).toBe(true);
    expect(isCorrection({ a: 'x', b: 1 }, { b: 1, a: 'x' })).toBe(false);
    expect(isCorrection({ a: 'x', b: 1 }, { a: 'x', b: 2 })).toBe(true);
  });

  // The store used to compare whole objects as canonical JSON and counted this as a correction,
  // while the learner (comparing the signature's outputs) counted a confirmation.
  it('a field only the prediction carries is not the user disagreeing', () => {
    expect(isCorrection({ sentiment: 'positive', confidence: 0.93 }, { sentiment: 'positive' })).toBe(false);
  });

  it('a label differing only in case is a confirmation once the signature has coerced it', () => {
    const outputs = outputSchema(parseSignature('text -> sentiment: positive|negative'));
    const predicted = outputs.parse({ sentiment: 'Positive' }) as Record<string, string>;
    const correct = outputs.parse({ sentiment: 'positive' }) as Record<string, string>;
    expect(isCorrection(predicted, correct)).toBe(false);
    // Free text keeps its case: "paris" for "Paris" is a correction the user meant.
    expect(isCorrection({ answer: 'paris' }, { answer: 'Paris' })).toBe(true);
  });
});
