/**
 * Which version serves a request while a canary runs. Pure, so serving and tests share it: a key
 * (caller or user id, else the prediction id) always lands on the same arm of a given canary, and
 * about `share` of all keys land on the canary.
 */

export interface RoutingView {
  active: string | null;
  canary: { versionId: string; share: number } | null;
}

/**
 * A uniform number in [0, 1) from the key: FNV-1a over the UTF-16 code units, then murmur3's
 * finaliser so similar keys ("user-1", "user-2") spread evenly. Salted with the canary's version, so
 * each canary draws its own cohort instead of always exposing the same users.
 */
export function canaryBucket(key: string, salt: string): number {
  let h = 0x811c9dc5;
  const text = `${salt}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** The version that answers `key`: the canary for its share of keys, else the active version. */
export function pickVersion(routing: RoutingView, key: string): string | null {
  const { active, canary } = routing;
  if (active !== null && canary !== null && canaryBucket(key, canary.versionId) < canary.share) return canary.versionId;
  return active;
}
