/** The one interface every LM provider implements (OpenAI-compatible HTTP, embedded GGUF, cache wrapper). */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionOptions {
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  /** Distinguishes otherwise identical requests so they miss the cache (DSPy's rollout_id). */
  rolloutId?: string;
  /**
   * The reply must be exactly one of these strings (an enum output). Providers that can constrain
   * decoding (grammar, label scoring) do; others ignore it and the adapter validates the label.
   */
  choices?: readonly string[];
  /**
   * With `choices`: also report each choice's log-probability (`Completion.choiceLogProbs`), which
   * label-bias calibration needs. Providers that cannot read label probabilities leave it out.
   */
  scoreChoices?: boolean;
  /**
   * Also report generated tokens' log-probabilities with the `topLogProbs` likeliest tokens at each
   * position (`Completion.tokenLogProbs`, OpenAI's `logprobs.content`). Providers that cannot leave it out.
   */
  topLogProbs?: number;
  /** Read and write the response cache (default true). */
  cache?: boolean;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A token's text and its log-probability at one position of the reply. */
export interface TokenLogProb {
  token: string;
  logProb: number;
}

/** One generated token and the likeliest tokens at its position, best first. */
export interface GeneratedTokenLogProb extends TokenLogProb {
  top: TokenLogProb[];
}

export interface Completion {
  text: string;
  usage: TokenUsage;
  latencyMs: number;
  cached: boolean;
  /** Log-probability of each of `options.choices`, in order, when `scoreChoices` asked and the provider can tell. */
  choiceLogProbs?: number[];
  /**
   * When `topLogProbs` asked and the provider can tell: the generated tokens from the first, in order —
   * every one from an endpoint, up to the first visible one from the embedded model (reading the
   * distribution costs it several tokens' time; a label answer starts there).
   */
  tokenLogProbs?: GeneratedTokenLogProb[];
}

export interface LM {
  /** Stable identity of provider + model, part of every cache key (e.g. "openai:gpt-4o-mini"). */
  readonly id: string;
  complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion>;
  /**
   * One vector per text, in order (KNN demo selection). Absent on providers that cannot embed; the
   * embedded model embeds with its own GGUF, an OpenAI-compatible endpoint through `/v1/embeddings`.
   */
  embed?(texts: readonly string[]): Promise<number[][]>;
}

/** A wrapper's `embed`: the inner LM's, or none when the inner LM cannot embed. */
export function embedThrough(inner: LM): LM['embed'] {
  return inner.embed && ((texts) => (inner.embed as NonNullable<LM['embed']>)(texts));
}
