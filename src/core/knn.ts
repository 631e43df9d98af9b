/**
 * DSPy's KNN demo selection (dspy/predict/knn.py): a program keeps a pool of demos with the embedding
 * of each one's inputs, and every prediction uses the k demos whose inputs are nearest the request's,
 * nearest first. Texts are embedded as DSPy casts them (`field: value` joined by ` | `, signature
 * order); vectors are stored unit-length so the dot product DSPy ranks by is the cosine similarity.
 * The pool is part of the program, so it is content-addressed and gated like any other version.
 */
import { z } from 'zod';
import { demoSchema } from './fields';
import type { Demo, Fields } from './types';

export const knnSchema = z.object({
  /** Demos per prediction (DSPy's `k`). */
  k: z.number().int().min(1),
  pool: z.array(demoSchema.extend({ vector: z.array(z.number()).min(1) })).min(1),
});

export type KnnSpec = z.output<typeof knnSchema>;

/** The text embedded for an example's inputs: DSPy's `" | ".join(f"{key}: {value}")`. */
export function knnText(inputs: Fields, inputNames: readonly string[]): string {
  return inputNames.filter((name) => inputs[name] !== undefined).map((name) => `${name}: ${String(inputs[name])}`).join(' | ');
}

/**
 * Unit length, rounded to 6 decimals: stored vectors hash the same on every machine, and the cosine
 * is a plain dot product.
 */
export function unitVector(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return vector.map((x) => (norm === 0 ? 0 : Math.round((x / norm) * 1e6) / 1e6));
}

/** The pool entries for `demos`, given one embedding per demo (in order). */
export function knnPool(demos: readonly Demo[], vectors: readonly number[][]): KnnSpec['pool'] {
  if (vectors.length !== demos.length) throw new Error(`KNN pool: ${vectors.length} embeddings for ${demos.length} demos`);
  return demos.map((demo, i) => ({ ...demo, vector: unitVector(vectors[i] as number[]) }));
}

/** The k demos nearest `query` (an embedding of the request's inputs), nearest first; ties keep pool order. */
export function nearestDemos(knn: KnnSpec, query: readonly number[]): Demo[] {
  const unit = unitVector(query);
  const dims = knn.pool[0]?.vector.length;
  if (unit.length !== dims) {
    throw new Error(`The LM embeds in ${unit.length} dimensions but this program's demo pool was embedded in ${dims}: re-optimize it with this LM`);
  }
  return knn.pool
    .map(({ vector, ...demo }, index) => ({ demo, index, score: vector.reduce((sum, x, i) => sum + x * (unit[i] as number), 0) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, knn.k)
    .map(({ demo }) => demo);
}
