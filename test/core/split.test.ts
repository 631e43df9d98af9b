import { createRng } from '../../src/core/random';
import { splitTrainVal } from '../../src/core/split';

interface Row {
  id: string;
  label: string;
}

/** `counts` rows per label, ids numbered in one run, labels interleaved as they might arrive. */
function pool(counts: Record<string, number>): Row[] {
  const rows = Object.entries(counts).flatMap(([label, n]) => Array.from({ length: n }, (_, i) => ({ id: `${label}-${String(i).padStart(3, '0')}`, label })));
  return createRng(99).shuffle(rows);
}

const byLabel = { labelOf: (r: Row) => r.label };
const count = (rows: readonly Row[], label: string) => rows.filter((r) => r.label === label).length;
const ids = (rows: readonly Row[]) => rows.map((r) => r.id);

describe('splitTrainVal, stratified by label', () => {
  it("gives each label its share of the validation split (largest remainder of today's size)", () => {
    // 17 of 100 rows are spam: 30 validation rows → 5.1 spam, 24.9 ham → 5 and 25.
    const { train, val } = splitTrainVal(pool({ ham: 83, spam: 17 }), { valFraction: 0.3, seed: 1, ...byLabel });
    expect(val).toHaveLength(30);
    expect(count(val, 'spam')).toBe(5);
    expect(count(val, 'ham')).toBe(25);
    expect(count(train, 'spam')).toBe(12);
    // Three labels, 7 validation rows of 20: ideals 3.5, 2.1, 1.4 → floors 3, 2, 1; the largest remainder (a) takes the last.
    const three = splitTrainVal(pool({ a: 10, b: 6, c: 4 }), { valFraction: 0.35, seed: 5, ...byLabel }).val;
    expect([count(three, 'a'), count(three, 'b'), count(three, 'c')]).toEqual([4, 2, 1]);
  });

  it('keeps every row exactly once and in the order of one seeded shuffle', () => {
    const rows = pool({ ham: 40, spam: 9, phish: 3 });
    const { train, val } = splitTrainVal(rows, { valFraction: 0.3, seed: 3, ...byLabel });
    expect([...ids(train), ...ids(val)].sort()).toEqual(ids(rows).sort());
    const order = ids(createRng(3).shuffle(rows));
    const rank = (r: Row) => order.indexOf(r.id);
    for (const side of [train, val]) expect(side.map(rank)).toEqual(side.map(rank).sort((a, b) => a - b));
  });

  it('puts at least one row of every label with two or more on each side, even where its share rounds to zero', () => {
    // 2 rare rows of 100 and 10 validation rows: shares 0.2 and 9.8, which plain rounding gives 0 and 10.
    const { train, val } = splitTrainVal(pool({ common: 98, rare: 2 }), { valFraction: 0.1, seed: 2, ...byLabel });
    expect([count(val, 'rare'), count(train, 'rare')]).toEqual([1, 1]);
    expect(val).toHaveLength(10);
    // A large share is capped so the label still trains.
    const tiny = splitTrainVal(pool({ x: 2, y: 2 }), { valFraction: 0.9, seed: 2, ...byLabel });
    expect([count(tiny.val, 'x'), count(tiny.val, 'y'), count(tiny.train, 'x'), count(tiny.train, 'y')]).toEqual([1, 1, 1, 1]);
  });

  it('grows the validation split past the fraction when there are more labels than its size', () => {
    // Five labels of 4 rows and a 10% fraction: 2 rows would leave three labels unvalidated.
    const { train, val } = splitTrainVal(pool({ a: 4, b: 4, c: 4, d: 4, e: 4 }), { valFraction: 0.1, seed: 4, ...byLabel });
    expect(val).toHaveLength(5);
    for (const label of ['a', 'b', 'c', 'd', 'e']) expect([count(val, label), count(train, label)]).toEqual([1, 3]);
  });

  it("trains a label's only row unless the validation split cannot be filled otherwise", () => {
    // Shares 4.5 and 0.5 of 5: the remainders tie and the lone label sorts first, yet the other validates.
    const { train, val } = splitTrainVal(pool({ lone: 1, many: 9 }), { valFraction: 0.5, seed: 6, ...byLabel });
    expect([count(train, 'lone'), count(val, 'many')]).toEqual([1, 5]);
    expect(val).toHaveLength(5);
    // Every label seen once: validation still gets its row, as with the plain split.
    const singles = splitTrainVal(pool({ a: 1, b: 1, c: 1, d: 1 }), { valFraction: 0.3, seed: 6, ...byLabel });
    expect([singles.train.length, singles.val.length]).toEqual([3, 1]);
  });

  it('splits rows with a label outside the expected ones as a stratum of their own', () => {
    const { train, val } = splitTrainVal(pool({ ham: 20, spam: 8, '': 2 }), { valFraction: 0.3, seed: 8, ...byLabel });
    expect([count(val, ''), count(train, '')]).toEqual([1, 1]);
    expect(count(val, 'spam')).toBe(2);
  });

  it('is the same for the same pool and seed, and a different seed draws different rows', () => {
    const rows = pool({ ham: 60, spam: 12 });
    const a = splitTrainVal(rows, { valFraction: 0.3, seed: 11, ...byLabel });
    expect(splitTrainVal(rows, { valFraction: 0.3, seed: 11, ...byLabel })).toEqual(a);
    const b = splitTrainVal(rows, { valFraction: 0.3, seed: 12, ...byLabel });
    expect(ids(b.val)).not.toEqual(ids(a.val));
    expect(count(b.val, 'spam')).toBe(count(a.val, 'spam'));
  });

  it('does not depend on which label was seen first: rounding ties fall by label name', () => {
    // Equal shares tie on the remainder (1.5 each of 3): the same label gets the extra row whichever came first.
    const first = (lead: string) => {
      const rows = pool({ p: 5, q: 5 }).sort((a, b) => (a.label === lead ? -1 : 0) - (b.label === lead ? -1 : 0));
      const { val } = splitTrainVal(rows, { valFraction: 0.3, seed: 0, ...byLabel });
      return [count(val, 'p'), count(val, 'q')];
    };
    expect(first('p')).toEqual([2, 1]);
    expect(first('q')).toEqual([2, 1]);
  });
});

describe('splitTrainVal with a minimum of validation rows for a label', () => {
  const spam5 = { ...byLabel, minValRows: { spam: 5 } };

  it("meets the minimum with rows from the other labels' shares, the total unchanged", () => {
    // 17 of 100 spam, 20 validating: the share is 3.4 spam → 3; the minimum makes it 5 and ham gives up 2.
    const plain = splitTrainVal(pool({ ham: 83, spam: 17 }), { valFraction: 0.2, seed: 1, ...byLabel }).val;
    expect([count(plain, 'spam'), count(plain, 'ham')]).toEqual([3, 17]);
    const { train, val } = splitTrainVal(pool({ ham: 83, spam: 17 }), { valFraction: 0.2, seed: 1, ...spam5 });
    expect([count(val, 'spam'), count(val, 'ham'), val.length]).toEqual([5, 15, 20]);
    expect(count(train, 'spam')).toBe(12);
    // Two other labels (shares 10, 6, 2 of 18): the 3 extra rows come from both, each from the one furthest over its share.
    const three = splitTrainVal(pool({ a: 50, b: 30, spam: 10 }), { valFraction: 0.2, seed: 5, ...spam5 }).val;
    expect([count(three, 'a'), count(three, 'b'), count(three, 'spam'), three.length]).toEqual([8, 5, 5, 18]);
  });

  it('leaves the split as it was when the share already meets the minimum, or the label is not in the pool', () => {
    const rows = pool({ ham: 83, spam: 17 });
    // 30 validating: the share is 5.1 spam → 5.
    expect(splitTrainVal(rows, { valFraction: 0.3, seed: 1, ...spam5 })).toEqual(splitTrainVal(rows, { valFraction: 0.3, seed: 1, ...byLabel }));
    expect(splitTrainVal(rows, { valFraction: 0.2, seed: 1, ...byLabel, minValRows: { phish: 5 } })).toEqual(splitTrainVal(rows, { valFraction: 0.2, seed: 1, ...byLabel }));
  });

  it('keeps at least half of the label for training', () => {
    // 9 or 10 validating, of which spam's share is 1–2: the minimum of 5 is cut to half the spam (rounded down).
    for (const [spam, held] of [
      [6, 3],
      [7, 3],
      [9, 4],
      [10, 5],
    ] as const) {
      const { train, val } = splitTrainVal(pool({ ham: 40, spam }), { valFraction: 0.2, seed: 2, ...spam5 });
      expect([count(val, 'spam'), count(train, 'spam')]).toEqual([held, spam - held]);
      expect(val).toHaveLength(Math.round((40 + spam) * 0.2));
    }
  });

  it('grows the split past the fraction only as far as the minimums need', () => {
    // 3 validating of 30: the minimums (5 spam, 1 ham) need 6.
    const two = splitTrainVal(pool({ ham: 20, spam: 10 }), { valFraction: 0.1, seed: 3, ...spam5 }).val;
    expect([count(two, 'spam'), count(two, 'ham')]).toEqual([5, 1]);
    // 2 validating of 24: one row of each small label and 5 spam.
    const four = splitTrainVal(pool({ a: 4, b: 4, c: 4, spam: 12 }), { valFraction: 0.1, seed: 4, ...spam5 }).val;
    expect([count(four, 'a'), count(four, 'b'), count(four, 'c'), count(four, 'spam')]).toEqual([1, 1, 1, 5]);
  });

  it('is the same for the same pool and seed, and a different seed draws different rows in the same numbers', () => {
    // Shares 12, 6, 2 of 20: the 3 rows the minimum adds come back from ham and phish, whose shortfalls tie twice (ties fall by label name).
    const rows = pool({ ham: 60, phish: 30, spam: 10 });
    const a = splitTrainVal(rows, { valFraction: 0.2, seed: 11, ...spam5 });
    expect([count(a.val, 'ham'), count(a.val, 'phish'), count(a.val, 'spam')]).toEqual([10, 5, 5]);
    expect(splitTrainVal(rows, { valFraction: 0.2, seed: 11, ...spam5 })).toEqual(a);
    const b = splitTrainVal(rows, { valFraction: 0.2, seed: 12, ...spam5 });
    expect(ids(b.val)).not.toEqual(ids(a.val));
    for (const label of ['ham', 'spam', 'phish']) expect(count(b.val, label)).toBe(count(a.val, label));
  });
});

describe('splitTrainVal without labels', () => {
  it('is the plain seeded shuffle: the first round(fraction × pool) rows validate, the rest train', () => {
    const rows = pool({ any: 23 });
    const shuffled = createRng(7).shuffle(rows);
    expect(splitTrainVal(rows, { valFraction: 0.3, seed: 7 })).toEqual({ val: shuffled.slice(0, 7), train: shuffled.slice(7) });
  });

  it('keeps at least one row on each side once there are two, and none to validate with one', () => {
    expect(splitTrainVal(pool({ any: 2 }), { valFraction: 0.01, seed: 1 }).val).toHaveLength(1);
    expect(splitTrainVal(pool({ any: 2 }), { valFraction: 0.99, seed: 1 }).train).toHaveLength(1);
    expect(splitTrainVal(pool({ any: 1 }), { valFraction: 0.5, seed: 1 })).toEqual({ train: pool({ any: 1 }), val: [] });
    expect(splitTrainVal([], { valFraction: 0.5, seed: 1 })).toEqual({ train: [], val: [] });
  });
});
