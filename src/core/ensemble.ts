/**
 * DSPy's Ensemble: k prompts answer the same input and the majority answer wins (DSPy's
 * `dspy.majority`, answers compared after SQuAD normalisation). Independent demo sets make independent
 * label biases, so a vote evens out what one prompt leans towards; it costs k LM calls per prediction.
 */
import { normalizeAnswer } from './metrics';
import type { ProgramSpec, PromptSpec } from './program';
import type { Fields, Prediction } from './types';

/** What two answers must share to count as the same vote. */
function voteKey(outputs: Fields): string {
  return JSON.stringify(Object.entries(outputs).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, typeof v === 'string' ? normalizeAnswer(v) : v]));
}

/**
 * The winning prediction of a vote: the answer most voters gave (ties: the one the earliest voter
 * gave), as that voter gave it; usage and latency add up over all voters. Fails only if every voter did.
 */
export function majorityVote(votes: readonly Prediction[]): Prediction {
  const first = votes[0];
  if (!first) throw new Error('majorityVote needs at least one vote');
  const tally = new Map<string, { count: number; winner: Prediction }>();
  for (const vote of votes) {
    if (!vote.ok) continue;
    const key = voteKey(vote.outputs);
    const entry = tally.get(key) ?? { count: 0, winner: vote };
    entry.count += 1;
    tally.set(key, entry);
  }
  // Map keeps insertion order, so on a tie reduce keeps the answer seen first.
  const best = [...tally.values()].reduce<{ count: number; winner: Prediction } | undefined>((b, e) => (!b || e.count > b.count ? e : b), undefined);
  const winner = best?.winner ?? first;
  return {
    ...winner,
    latencyMs: votes.reduce((sum, v) => sum + v.latencyMs, 0),
    cached: votes.every((v) => v.cached),
    promptTokens: votes.reduce((sum, v) => sum + v.promptTokens, 0),
    completionTokens: votes.reduce((sum, v) => sum + v.completionTokens, 0),
  };
}

/** One program voting with the prompts of all `programs` (same signature; the first leads ties). */
export function ensembleOf(programs: readonly ProgramSpec[]): ProgramSpec {
  const [lead, ...rest] = programs;
  if (!lead || rest.length === 0) throw new Error(`an ensemble needs at least two programs, got ${programs.length}`);
  const prompts: PromptSpec[] = [lead, ...rest].flatMap(({ signature, ensemble, ...prompt }) => {
    if (signature !== lead.signature) throw new Error(`ensemble members must share one signature: "${signature}" differs from "${lead.signature}"`);
    return [prompt, ...(ensemble?.members ?? [])];
  });
  const [first, ...members] = prompts as [PromptSpec, ...PromptSpec[]];
  return { ...first, signature: lead.signature, ensemble: { members } };
}
