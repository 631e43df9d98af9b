/**
 * Which program version answers a request. Every request resolves its version here exactly once, at
 * its start, and finishes on it: a promotion or rollback takes effect on the next request, never in
 * the middle of one.
 */
import type { Store } from '../store/types';

/** The part of the store version choice reads. */
export type VersionStore = Pick<Store, 'getPointers'>;

/**
 * The version serving `key` (a caller or user id, else the prediction id) for the task: today the
 * registry's `active` pointer, read on every call (one indexed read), so every process sharing the
 * store follows a pointer move on its very next request. `key` is what a canary splits traffic by.
 */
export async function chooseVersion(store: VersionStore, task: string, _key: string): Promise<string | null> {
  return (await store.getPointers(task)).active;
}
