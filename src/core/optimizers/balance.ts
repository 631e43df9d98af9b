/**
 * Label-balanced (stratified) demo selection. A small model copies the majority label of its demos,
 * and first-N-passing selection on an imbalanced trainset hands it a majority: these helpers keep
 * every label equally represented and interleave labels, so no label also owns the prompt's end.
 */
import { parseSignature } from '../signature';
import type { Rng } from '../random';
import type { Demo, Example } from '../types';

/** A demo's or example's class label, or undefined for a signature without an enum output. */
export type LabelOf = (item: Demo | Example) => string | undefined;

export interface LabelReader {
  /** The enum's labels in signature order (empty when the signature has no enum output). */
  labels: readonly string[];
  labelOf: LabelOf;
}

/** Grouping key: the label, or '' for an item without one. */
const keyOf = (reader: LabelReader, item: Demo | Example): string => reader.labelOf(item) ?? '';

/**
 * Labels come from the first enum output field: balancing only means something for classification,
 * so for other signatures every item has no label and selection falls back to the unbalanced rules.
 */
export function labelReader(signature: string): LabelReader {
  const field = parseSignature(signature).outputs.find((f) => f.type === 'enum');
  if (!field?.choices) return { labels: [], labelOf: () => undefined };
  const name = field.name;
  return { labels: field.choices, labelOf: (item) => (item.outputs[name] === undefined ? undefined : String(item.outputs[name])) };
}

/** Groups items by label, in signature order and then first appearance; unlabelled items form one group. */
function groupByLabel<T extends Demo | Example>(items: readonly T[], reader: LabelReader): T[][] {
  const groups = new Map<string, T[]>(reader.labels.map((l) => [l, []]));
  for (const item of items) {
    const key = keyOf(reader, item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()].filter((g) => g.length > 0);
}

/** Round-robin over groups: one item per label in turn until `k` are taken or every group is empty. */
function roundRobin<T>(groups: readonly T[][], k: number): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < k && groups.some((g) => i < g.length); i++) {
    for (const group of groups) if (i < group.length && out.length < k) out.push(group[i] as T);
  }
  return out;
}

/** Reorders demos so labels alternate (keeps each label's own order); nothing is added or dropped. */
export function interleaveLabels<T extends Demo | Example>(demos: readonly T[], reader: LabelReader): T[] {
  return roundRobin(groupByLabel(demos, reader), demos.length);
}

/** Per-label caps for `total` traces over the labels present: an equal share each, at least one. */
export function labelQuotas(items: readonly Example[], total: number, reader: LabelReader): Map<string, number> {
  const present = groupByLabel(items, reader).map((g) => keyOf(reader, g[0] as Example));
  const share = Math.max(1, Math.floor(total / Math.max(1, present.length)));
  return new Map(present.map((label) => [label, share]));
}

/**
 * k items from `pool` with labels as even as it allows, counting the demos already `chosen`: each pick
 * comes from the label with the fewest so far (ties in label order), so a fresh pick interleaves
 * labels (a, b, c, a, …). With an rng each label's items come from a seeded shuffle; without one they
 * keep pool order (DSPy's `sample=False`).
 */
export function balancedPick<T extends Demo | Example>(
  pool: readonly T[],
  k: number,
  reader: LabelReader,
  opts: { chosen?: readonly Demo[]; rng?: Rng } = {},
): T[] {
  const counts = new Map<string, number>();
  const count = (item: Demo | Example) => counts.get(keyOf(reader, item)) ?? 0;
  for (const d of opts.chosen ?? []) counts.set(keyOf(reader, d), count(d) + 1);
  const groups = groupByLabel(pool, reader).map((g) => (opts.rng ? opts.rng.shuffle(g) : [...g]));
  const out: T[] = [];
  while (out.length < k) {
    const open = groups.filter((g) => g.length > 0);
    if (open.length === 0) break;
    const item = open.reduce((best, g) => (count(g[0] as T) < count(best[0] as T) ? g : best)).shift() as T;
    counts.set(keyOf(reader, item), count(item) + 1);
    out.push(item);
  }
  return out;
}
