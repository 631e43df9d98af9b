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
  /** Read and write the response cache (default true). */
  cache?: boolean;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface Completion {
  text: string;
  usage: TokenUsage;
  latencyMs: number;
  cached: boolean;
}

export interface LM {
  /** Stable identity of provider + model, part of every cache key (e.g. "openai:gpt-4o-mini"). */
  readonly id: string;
  complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion>;
}
