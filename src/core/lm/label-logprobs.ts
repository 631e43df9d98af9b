/**
 * Label log-probabilities from what an OpenAI-compatible endpoint reports per generated token
 * (`logprobs: true, top_logprobs: k`), for label-bias calibration over HTTP. An endpoint shows only
 * the k likeliest tokens at each position, so a label is read from the first token of the answer:
 * exact for labels that are one token, and for longer ones the probability of their first token,
 * which is what tells them apart when no other label starts the same way (never less than the
 * whole label's, which the embedded model scores).
 */
import type { GeneratedTokenLogProb, TokenLogProb } from './types';

/** The most alternatives per position OpenAI returns (`top_logprobs` ≤ 20). */
export const MAX_TOP_LOGPROBS = 20;

/**
 * Each label's log-probability, in the order of `choices`, at the answer's first token: that of the
 * likeliest token whose text (trimmed, lower-cased) is a non-empty prefix of that label and of no
 * other (`" pos"`, `"Positive"`). A label with no such token among the top k is less likely than all
 * of them: it gets the bound min(least top probability, probability left outside the top k). A small
 * model spreads its first token widely (SmolLM2 on e-mails: the other label outside the top 20 on most
 * rows), so without the bound calibration over HTTP would fail row by row. Undefined when it cannot
 * tell: no label among the top tokens, no alternatives reported, or a missing label that starts with
 * a token it shares with another (`very positive|very negative`).
 */
export function choiceLogProbsFromTokens(tokens: readonly GeneratedTokenLogProb[], choices: readonly string[]): number[] | undefined {
  const labels = choices.map((c) => c.toLowerCase());
  const answer = tokens[answerStart(tokens, labels)];
  if (!answer || answer.top.length === 0) return undefined;
  const best = labels.map(() => -Infinity);
  const shared = labels.map(() => false);
  for (const { token, logProb } of [answer, ...answer.top]) {
    const text = token.trim().toLowerCase();
    const prefixOf = text ? labels.flatMap((label, i) => (label.startsWith(text) ? [i] : [])) : [];
    const [only] = prefixOf;
    if (prefixOf.length === 1 && only !== undefined) best[only] = Math.max(best[only] as number, logProb);
    else for (const i of prefixOf) shared[i] = true;
  }
  const missing = (i: number) => !Number.isFinite(best[i]);
  if (labels.every((_, i) => missing(i)) || labels.some((_, i) => missing(i) && shared[i])) return undefined;
  const bound = outsideTopBound(answer.top);
  return best.map((lp) => (Number.isFinite(lp) ? lp : bound));
}

/** The most a token outside the top k can have: no more than the least top one, nor than the mass they leave. */
function outsideTopBound(top: readonly TokenLogProb[]): number {
  const distinct = new Map(top.map((t) => [t.token, t.logProb]));
  const least = Math.min(...distinct.values());
  const left = 1 - [...distinct.values()].reduce((sum, lp) => sum + Math.exp(lp), 0);
  return Math.min(least, Math.log(Math.max(left, Number.MIN_VALUE)));
}

/**
 * The token where the answer starts: the first one at which the reply reads a label as a whole word
 * (any case), so a chat adapter's `[[ ## field ## ]]` header before it is skipped. Else — the reply
 * holds no label, or the endpoint gave that token no alternatives (`kkachi model serve` gives them up
 * to the first visible token only) — the first token, where the embedded model reads labels too.
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
    if (isLabel && tokens[i]?.top.length) return i;
  }
  return 0;
}
