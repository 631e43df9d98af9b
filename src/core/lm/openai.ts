/** Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp server). */
import OpenAI, { BadRequestError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { classifyLMError, LMError } from './errors';
import { choiceLogProbsFromTokens, MAX_TOP_LOGPROBS } from './label-logprobs';
import { withRetry } from './retry';
import type { ChatMessage, Completion, CompletionOptions, GeneratedTokenLogProb, LM } from './types';

export interface OpenAICompatibleLMOptions {
  model: string;
  /** Defaults to `OPENAI_BASE_URL`, then OpenAI's own endpoint. */
  baseURL?: string;
  /** Defaults to `OPENAI_API_KEY`; a custom endpoint without one gets a placeholder. */
  apiKey?: string;
  /** `'off'` inside Temporal activities so Temporal's retry policy is the only one. */
  retry?: 'backoff' | 'off';
  maxRetries?: number;
  timeoutMs?: number;
}

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Local servers ignore the key but the client refuses to send a request without one. */
const PLACEHOLDER_API_KEY = 'not-needed';
/** Small local models on a shared CPU can take a while; OpenAI's 10-minute default hides hangs. */
const DEFAULT_TIMEOUT_MS = 120_000;

export class OpenAICompatibleLM implements LM {
  readonly id: string;
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly apiKey: string;
  private readonly retry: 'backoff' | 'off';
  private readonly maxRetries?: number;
  private readonly timeoutMs: number;
  /** Set once the endpoint refused `logprobs` (OpenAI's reasoning models do): later requests leave it out. */
  private logprobsRefused = false;

  constructor(options: OpenAICompatibleLMOptions) {
    const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL;
    const isOpenAI = new URL(baseURL).host === new URL(OPENAI_DEFAULT_BASE_URL).host;
    const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY ?? (isOpenAI ? undefined : PLACEHOLDER_API_KEY);
    if (!apiKey) {
      throw new LMError(`OPENAI_API_KEY is not set (needed for ${baseURL})`, { kind: 'auth', retryable: false });
    }
    this.model = options.model;
    this.apiKey = apiKey;
    this.retry = options.retry ?? 'backoff';
    this.maxRetries = options.maxRetries;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The key stays out of the id: the id is part of every cache key and shows up in reports.
    this.id = `openai:${options.model}@${new URL(baseURL).host}`;
    this.client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  }

  complete(messages: ChatMessage[], options: CompletionOptions = {}): Promise<Completion> {
    if (this.retry === 'off') return this.attempt(messages, options);
    return withRetry(() => this.attempt(messages, options), { maxRetries: this.maxRetries });
  }

  /** `/v1/embeddings` with this LM's model name, one vector per text in order. */
  embed(texts: readonly string[]): Promise<number[][]> {
    const once = () =>
      this.request(async (signal) => {
        // Floats, not the client's default base64: OpenAI-compatible servers do not all speak base64.
        const response = await this.client.embeddings.create({ model: this.model, input: [...texts], encoding_format: 'float' }, { signal });
        const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        if (vectors.length !== texts.length) {
          throw new LMError(`${this.id} returned ${vectors.length} embeddings for ${texts.length} texts`, { kind: 'server', retryable: true });
        }
        return vectors;
      });
    return this.retry === 'off' ? once() : withRetry(once, { maxRetries: this.maxRetries });
  }

  /** One HTTP round trip; latency covers only this attempt so backoff waits don't skew latency stats. */
  private async attempt(messages: ChatMessage[], options: CompletionOptions): Promise<Completion> {
    const started = performance.now();
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.model,
      messages,
      temperature: options.temperature,
      // `max_tokens`, not `max_completion_tokens`: llama.cpp-style servers read only this name.
      max_tokens: options.maxTokens,
      stop: options.stop?.length ? options.stop : undefined,
    };
    const labels = options.scoreChoices && options.choices?.length ? options.choices : undefined;
    const topLogProbs = labels ? MAX_TOP_LOGPROBS : options.topLogProbs;
    const response = await this.request(async (signal) => {
      if (topLogProbs === undefined || this.logprobsRefused) return this.client.chat.completions.create(body, { signal });
      try {
        return await this.client.chat.completions.create({ ...body, logprobs: true, top_logprobs: Math.min(topLogProbs, MAX_TOP_LOGPROBS) }, { signal });
      } catch (err) {
        if (!refusesLogprobs(err)) throw err;
        // The reply still counts; only the probabilities are missing, which callers already handle.
        this.logprobsRefused = true;
        return this.client.chat.completions.create(body, { signal });
      }
    });
    const latencyMs = performance.now() - started;
    const choice = response.choices?.[0];
    if (!choice) throw new LMError(`${this.id} returned no choices`, { kind: 'server', retryable: true });
    const tokens = tokenLogProbs(choice);
    const choiceLogProbs = labels && tokens && choiceLogProbsFromTokens(tokens, labels);
    return {
      text: choice.message?.content ?? '',
      usage: {
        promptTokens: response.usage?.prompt_tokens ?? 0,
        completionTokens: response.usage?.completion_tokens ?? 0,
      },
      latencyMs,
      cached: false,
      ...(choiceLogProbs && { choiceLogProbs }),
      ...(options.topLogProbs !== undefined && tokens && { tokenLogProbs: tokens }),
    };
  }

  /**
   * Runs one request under our own deadline rather than the client's: the client recognises its
   * timeout by the abort error's class, which fails across realms (jest), turning timeouts into
   * "connection error". Errors come back classified (LMError), the key redacted.
   */
  private async request<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      return await send(deadline);
    } catch (err) {
      if (err instanceof LMError) throw err;
      if (deadline.aborted) {
        throw new LMError(`${this.id} timed out after ${this.timeoutMs} ms`, { kind: 'timeout', retryable: true });
      }
      throw classifyLMError(err, [this.apiKey]);
    }
  }
}

/** The reply's per-token log-probabilities; undefined when the endpoint sent none (it ignores `logprobs`). */
function tokenLogProbs(choice: ChatCompletion.Choice): GeneratedTokenLogProb[] | undefined {
  const content = choice.logprobs?.content;
  if (!Array.isArray(content)) return undefined;
  return content.map((t) => ({
    token: t.token,
    logProb: t.logprob,
    top: (t.top_logprobs ?? []).map((alt) => ({ token: alt.token, logProb: alt.logprob })),
  }));
}

/** A 400 about `logprobs`/`top_logprobs`: the endpoint or model does not offer them. */
function refusesLogprobs(err: unknown): boolean {
  return err instanceof BadRequestError && /logprobs/i.test(`${err.param ?? ''} ${err.message}`);
}
