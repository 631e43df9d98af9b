/** Per-run LM accounting: what a run cost at the provider and how much the cache saved. */
import { embedThrough, type ChatMessage, type Completion, type CompletionOptions, type LM } from './types';

export interface Usage {
  /** Completions answered by the provider (cache misses). */
  calls: number;
  /** Tokens billed by the provider; cache hits add none. */
  promptTokens: number;
  completionTokens: number;
  cacheHits: number;
  /** Completions that failed (after any retries inside the provider). */
  errors: number;
}

export class UsageMeter {
  private usage: Usage = { calls: 0, promptTokens: 0, completionTokens: 0, cacheHits: 0, errors: 0 };

  record(completion: Completion): void {
    if (completion.cached) {
      this.usage.cacheHits += 1;
      return;
    }
    this.usage.calls += 1;
    this.usage.promptTokens += completion.usage.promptTokens;
    this.usage.completionTokens += completion.usage.completionTokens;
  }

  recordError(): void {
    this.usage.errors += 1;
  }

  snapshot(): Usage {
    return { ...this.usage };
  }
}

/** Counts every completion that passes through; outermost wrapper so it sees cache hits too. */
export class MeteredLM implements LM {
  readonly id: string;
  /** Embeddings are not completions: they pass through uncounted. */
  readonly embed: LM['embed'];

  constructor(
    private readonly inner: LM,
    readonly meter: UsageMeter,
  ) {
    this.id = inner.id;
    this.embed = embedThrough(inner);
  }

  async complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion> {
    try {
      const completion = await this.inner.complete(messages, options);
      this.meter.record(completion);
      return completion;
    } catch (err) {
      this.meter.recordError();
      throw err;
    }
  }
}
