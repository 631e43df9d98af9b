/**
 * Seeded randomness for everything that must be reproducible (dataset splits, demo sampling,
 * bootstrap resampling). Pure: 32-bit integer arithmetic only, so the same seed gives the same
 * sequence on every platform and Node version.
 */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A shuffled copy (Fisher–Yates); the input is left untouched. */
  shuffle<T>(arr: readonly T[]): T[];
  /** k distinct elements in random order; k is clamped to arr.length (like taking a whole small set). */
  sample<T>(arr: readonly T[], k: number): T[];
}

/** murmur3's finaliser: spreads nearby seeds (0, 1, 2…) into unrelated mulberry32 states. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Folds any safe integer (including negatives and values above 2^32) into a 32-bit state. */
function seedState(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return mix32(low ^ mix32(high + 0x9e3779b9));
}

export function createRng(seed: number): Rng {
  let state = seedState(seed);

  // mulberry32 (Tommy Ettinger): tiny, passes gjrand/PractRand for the stream lengths used here.
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };

  const int = (n: number): number => {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(next() * n);
  };

  /** Fisher–Yates over the first k positions of a copy: k swaps instead of a full shuffle. */
  const partialShuffle = <T>(arr: readonly T[], k: number): T[] => {
    const out = arr.slice();
    for (let i = 0; i < k; i++) {
      const j = i + int(out.length - i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out.slice(0, k);
  };

  return {
    next,
    int,
    shuffle: (arr) => partialShuffle(arr, arr.length),
    sample: (arr, k) => {
      if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`sample size must be a non-negative integer, got ${k}`);
      return partialShuffle(arr, Math.min(k, arr.length));
    },
  };
}
