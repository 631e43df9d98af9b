/** Fitted calibration's offsets: where a model ranks the labels right but leans to one, they move the boundary. */
import { calibrationSchema } from '../../src/core/calibration';
import { fitLabelOffsets, type ScoredRow } from '../../src/core/calibration-fit';
import { classificationSummary } from '../../src/core/stats/classification';
import { createRng } from '../../src/core/random';

const argmax = (s: readonly number[]) => s.reduce((b, x, i) => (x > (s[b] as number) ? i : b), 0);
const answer = (rows: readonly ScoredRow[], labels: string[], offsets: readonly number[]) =>
  classificationSummary(rows.map((r) => ({ gold: r.gold, predicted: labels[argmax(r.logProbs.map((lp, i) => lp + (offsets[i] as number)))] as string })), labels);

/** Log-probabilities leaning to label 0 by `lean` nats, plus `signal` nats toward the gold label and seeded noise. */
function leaningRows(labels: string[], perLabel: number[], lean: number, signal: number, seed: number): ScoredRow[] {
  const rng = createRng(seed);
  return labels.flatMap((gold, g) =>
    Array.from({ length: perLabel[g] as number }, () => ({
      gold,
      logProbs: labels.map((_, i) => (i === 0 ? lean : 0) + (i === g ? signal : 0) + rng.next() - 0.5),
    })),
  );
}

describe('fitLabelOffsets', () => {
  const binary = ['spam', 'ham'];

  it('takes a lean out of a binary model that ranks right but answers one label for everything', () => {
    const rows = leaningRows(binary, [10, 30], 4, 2, 1);
    expect(answer(rows, binary, [0, 0]).perLabel.find((l) => l.label === 'ham')?.predicted).toBe(0);
    const offsets = fitLabelOffsets(rows, binary);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBeGreaterThan(2);
    expect(offsets[1]).toBeLessThan(6);
    expect(answer(rows, binary, offsets).macroF1).toBeGreaterThan(0.9);
    // Held-out rows drawn the same way gain as much: the boundary generalises, it is not a lookup.
    const heldOut = leaningRows(binary, [10, 30], 4, 2, 2);
    expect(answer(heldOut, binary, offsets).macroF1).toBeGreaterThan(answer(heldOut, binary, [0, 0]).macroF1 + 0.4);
  });

  it('balances three labels, each offset by coordinate ascent', () => {
    const labels = ['negative', 'neutral', 'positive'];
    const rows = leaningRows(labels, [15, 20, 15], 3, 2.5, 3);
    const before = answer(rows, labels, [0, 0, 0]).macroF1;
    const offsets = fitLabelOffsets(rows, labels);
    expect(answer(rows, labels, offsets).macroF1).toBeGreaterThan(before + 0.3);
    expect(offsets[1]).toBeGreaterThan(0);
    expect(offsets[2]).toBeGreaterThan(0);
  });

  it('keeps zero offsets where nothing scores better, and for labels no row holds', () => {
    const labels = ['a', 'b', 'c'];
    const separable: ScoredRow[] = [
      { gold: 'a', logProbs: [0, -5, -5] },
      { gold: 'b', logProbs: [-5, 0, -5] },
    ];
    expect(fitLabelOffsets(separable, labels)).toEqual([0, 0, 0]);
  });

  it('stores as a calibration that names how it was estimated', () => {
    expect(calibrationSchema.safeParse({ fittedOn: 40, logPrior: { spam: 0, ham: -3.2 } }).success).toBe(true);
    expect(calibrationSchema.safeParse({ batchOf: 40, logPrior: { spam: -0.1, ham: -2.4 } }).success).toBe(true);
    const neither = calibrationSchema.safeParse({ logPrior: { spam: 0 } });
    expect(neither.success).toBe(false);
    expect(neither.error?.issues[0]?.message).toMatch(/exactly one of contentFree, fittedOn or batchOf/);
    expect(calibrationSchema.safeParse({ contentFree: ['N/A'], fittedOn: 3, logPrior: {} }).success).toBe(false);
  });
});
