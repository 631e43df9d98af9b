/**
 * Label log-probabilities from what an OpenAI-compatible endpoint reports per generated token
 * (`logprobs: true, top_logprobs: k`), for label-bias calibration over HTTP. An endpoint shows only
 * the k likeliest tokens at each position, so a label is read from the first token of the answer:
 * exact for labels that are one token, and for longer ones the probability of their first token,
 * which is what tells them apart when no other label starts the same way.
 */
import type { GeneratedTokenLogProb, TokenLogProb } from './types';

/** The most alternatives per position OpenAI returns (`top_logprobs` ≤ 20). */
export const MAX_TOP_LOGPROBS = 20;

/**
 * Each label's log-probability, in the order of `choices`: at the answer's first token, the likeliest
 * token whose text (trimmed, lower-cased) is a non-empty prefix of that label and of no other
 * (`" pos"`, `"Positive"`). Undefined when a label has no such token: it is outside the top k, or it
 * starts with the same token as another label (`very positive|very negative`).
 */
export function choiceLogProbsFromTokens(tokens: readonly GeneratedTokenLogProb[], choices: readonly string[]): number[] | undefined {
  const labels = choices.map((c) => c.toLowerCase());
  const answer = tokens[answerStart(tokens, labels)];
  if (!answer) return undefined;
  const best = labels.map(() => -Infinity);
  const candidates: TokenLogProb[] = [answer, ...answer.top];
  for (const { token, logProb } of candidates) {
    const text = token.trim().toLowerCase();
    const prefixOf = text ? labels.flatMap((label, i) => (label.startsWith(text) ? [i] : [])) : [];
    const [only] = prefixOf;
    if (prefixOf.length === 1 && only !== undefined) best[only] = Math.max(best[only] as number, logProb);
  }
  return best.every(Number.isFinite) ? best : undefined;
}

/**
 * The token where the answer starts: the first one at which the reply reads a label as a whole word
 * (any case), so a chat adapter's `[[ ## field ## ]]` header before it is skipped; the first token
 * when the reply holds no label (its alternatives may still name them).
 */
function answerStart(tokens: readonly GeneratedTokenLogProb[], labels: readonly string[]): number {
  // Lower-cased per token: lower-casing can change a string's length, and offsets must match tokens.
  const lowered = tokens.map((t) => t.token.toLowerCase());
  const text = lowered.join('');
  let offset = 0;
  for (const [i, token] of lowered.entries()) {
    const start = offset + (token.length - token.trimStart().length);
    offset += token.length;
    if (start === offset || /\w/.test(text.charAt(start - 1))) continue;
    const isLabel = labels.some((label) => label && text.startsWith(label, start) && !/\w/.test(text.charAt(start + label.length)));
    if (isLabel) return i;
  }
  return 0;
}
