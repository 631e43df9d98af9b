/**
 * Which program version answers a request. Every request resolves its version here exactly once, at
 * its start, and finishes on it: a promotion, rollback or canary change takes effect on the next
 * request, never in the middle of one.
 */
import { pickVersion } from '../core/canary';
import type { Store } from '../store/types';

/** The part of the store version choice reads. */
export type VersionStore = Pick<Store, 'routing'>;

/**
 * The version serving `key` (a caller or user id, else the prediction id) for the task: the
 * registry's `active` pointer, or the live canary for its share of keys (sticky per key, see
 * `pickVersion`). Read on every call (one indexed read), so every process sharing the store follows a
 * pointer move on its very next request. The rollout workflow owns the canary; serving only reads it.
 */
export async function chooseVersion(store: VersionStore, task: string, key: string): Promise<string | null> {
  return pickVersion(await store.routing(task), key);
}
