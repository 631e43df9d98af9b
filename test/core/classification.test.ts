import { balancedAccuracy, classificationSummary, confusionMatrix, labelRecall, macroF1, OTHER_LABEL, perLabelScores, type LabelPair } from '../../src/core/stats/classification';

const pairs = (spec: [string, string | null, number][]): LabelPair[] =>
  spec.flatMap(([gold, predicted, count]) => Array.from({ length: count }, () => ({ gold, predicted })));

describe('classification metrics', () => {
  // 12% spam, a program that catches 7 of 37 spam messages (the example, scaled): accuracy
  // looks fine, recall and macro-F1 do not.
  const mostlyHam = pairs([
    ['spam', 'spam', 7],
    ['spam', 'ham', 30],
    ['ham', 'ham', 260],
    ['ham', 'spam', 3],
  ]);

  it('counts a confusion matrix in the given label order, gold labels by row', () => {
    const m = confusionMatrix(mostlyHam, ['spam', 'ham']);
    expect(m).toEqual({ labels: ['spam', 'ham'], columns: ['spam', 'ham'], counts: [[7, 30], [3, 260]] });
  });

  it('computes per-label precision/recall/F1 (zero when a label is never predicted)', () => {
    const [spam, ham] = perLabelScores(confusionMatrix(mostlyHam, ['spam', 'ham']));
    expect(spam).toMatchObject({ label: 'spam', support: 37, predicted: 10 });
    expect(spam!.precision).toBeCloseTo(0.7, 12);
    expect(spam!.recall).toBeCloseTo(7 / 37, 12);
    expect(spam!.f1).toBeCloseTo((2 * 0.7 * (7 / 37)) / (0.7 + 7 / 37), 12);
    expect(ham!.precision).toBeCloseTo(260 / 290, 12);
    expect(ham!.recall).toBeCloseTo(260 / 263, 12);
  });

  it('shows what accuracy hides: macro-F1 and balanced accuracy of a mostly-"ham" program', () => {
    const s = classificationSummary(mostlyHam, ['spam', 'ham']);
    expect(s.accuracy).toBeCloseTo(267 / 300, 12);
    // By hand: F1(spam) = 2·0.7·0.189/(0.889) = 0.298, F1(ham) = 0.940; balanced accuracy 0.589.
    expect(s.macroF1).toBeCloseTo(0.619099, 5);
    expect(s.balancedAccuracy).toBeCloseTo((7 / 37 + 260 / 263) / 2, 12);
    // Always answering the majority label: balanced accuracy is 1/k, macro-F1 under 0.5.
    const always = classificationSummary(pairs([['spam', 'ham', 37], ['ham', 'ham', 263]]), ['spam', 'ham']);
    expect(always.balancedAccuracy).toBe(0.5);
    expect(always.macroF1).toBeCloseTo((2 * (263 / 300)) / (263 / 300 + 1) / 2, 12);
  });

  it('puts unparsable or out-of-set predictions in an "(other)" column, and keeps unknown gold labels', () => {
    const m = confusionMatrix(pairs([['a', 'a', 2], ['a', null, 1], ['b', 'zzz', 1], ['c', 'a', 1]]), ['a', 'b']);
    expect(m.labels).toEqual(['a', 'b', 'c']);
    expect(m.columns).toEqual(['a', 'b', 'c', OTHER_LABEL]);
    expect(m.counts).toEqual([[2, 0, 0, 1], [0, 0, 0, 1], [1, 0, 0, 0]]);
  });

  it('compares labels trimmed and case-insensitively, like labelAccuracy', () => {
    const m = confusionMatrix(pairs([['Positive', ' positive ', 1]]), ['positive']);
    expect(m.counts).toEqual([[1]]);
  });

  it('averages over labels that occur as gold; a label only ever predicted still costs precision', () => {
    const scores = perLabelScores(confusionMatrix(pairs([['a', 'a', 3], ['a', 'b', 1]]), ['a', 'b']));
    expect(scores.map((s) => s.support)).toEqual([4, 0]);
    expect(macroF1(scores)).toBeCloseTo((2 * 1 * 0.75) / 1.75, 12);
    expect(balancedAccuracy(scores)).toBe(0.75);
  });

  it('recall of a label, and a clear error when the label never occurs as gold', () => {
    expect(labelRecall(mostlyHam, 'SPAM')).toBeCloseTo(7 / 37, 12);
    expect(() => labelRecall(mostlyHam, 'phishing')).toThrow(/no example has the gold label "phishing"/);
  });
});
