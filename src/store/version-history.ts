/**
 * Which version a rollback restores. The history of `active` moves is the task's version history;
 * the versions served before the current one, most recent first, minus any rolled back, are the ones
 * known good. A rolled-back version is never restored by accident; a second rollback goes one
 * further back instead of re-promoting the version just rolled back.
 */
import type { HistoryEntry } from './types';

/**
 * Versions that served before `current` and were never rolled back since, most recent first,
 * each once. The first is what a rollback restores, the second what `previous` then shows.
 */
export function goodVersionsBefore(history: readonly HistoryEntry[], current: string, rolledBack: ReadonlySet<string>): string[] {
  const seen = new Set<string>([current]);
  const good: string[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i] as HistoryEntry;
    const version = entry.pointer === 'active' ? entry.toVersion : null;
    if (version === null || seen.has(version)) continue;
    seen.add(version);
    if (!rolledBack.has(version)) good.push(version);
  }
  return good;
}
