/**
 * The embedded offline LM: a small GGUF model run in-process by node-llama-cpp. Greedy by default;
 * sampling is seeded from the rollout id so every call is reproducible. An enum output
 * (`options.choices`) always comes back as one of the labels.
 */
import { createHash } from 'node:crypto';
import type { ChatHistoryItem, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { createRng } from '../random';
import { DEFAULT_MODEL, locateModel, type PromptRendering } from './catalogue';
import { classifyLMError, LMError } from './errors';
import { choiceGrammar, PLAIN_TURN_END, renderPlain } from './local-render';
import { alignSequence, EMBEDDING_CONTEXT_SIZE, embeddingContext, loadRuntime, sharedPrefixLength, type LocalRuntime } from './local-runtime';
import type { ChatMessage, Completion, CompletionOptions, GeneratedTokenLogProb, LM } from './types';

/**
 * How an enum answer is forced: a grammar over the labels (default: measured faster, because label
 * scoring has to read the whole next-token distribution — 49k entries for SmolLM2, 262k for Gemma),
 * or scoring each label's log-probability.
 */
export type ChoiceMethod = 'grammar' | 'score';

export interface LocalLMConfig {
  /** Catalogue name (`smollm2-135m`) or a path to a GGUF file (default: the catalogue's default model). */
  model?: string;
  /** Where catalogue models are installed; needed for a name (the edges read `KKACHI_MODELS_DIR`: src/models/location.ts). */
  modelsDir?: string;
  /** Prompt rendering; defaults to the catalogue entry's measured choice (plain for a file without a chat template). */
  render?: PromptRendering;
  /** Parallel sequences sharing the model (default 1: on 2 cores a second one adds no throughput). */
  sequences?: number;
  /** Tokens per sequence (prompt + reply). */
  contextSize?: number;
  choiceMethod?: ChoiceMethod;
}

const DEFAULTS = { sequences: 1, contextSize: 2048, choiceMethod: 'grammar' as ChoiceMethod, maxTokens: 256 };

/** What a decoding produced; `logProbs` (one per choice) when the labels were scored, `tokenLogProbs` when asked. */
interface Reply {
  text: string;
  tokens: number;
  logProbs?: number[];
  tokenLogProbs?: GeneratedTokenLogProb[];
}

/** Tokens before a token that decide how it detokenizes (a leading space, say). */
const DETOKENIZE_CONTEXT = 8;

/** A rendered prompt, and how to append a candidate answer to it (for label scoring). */
interface RenderedPrompt {
  tokens: Token[];
  withAnswer(answer: string): Token[];
}

export async function createLocalLM(config: LocalLMConfig = {}): Promise<LM> {
  const resolved = locateModel(config.model || DEFAULT_MODEL, config.modelsDir);
  const sequences = config.sequences ?? DEFAULTS.sequences;
  const contextSize = config.contextSize ?? DEFAULTS.contextSize;
  let runtime: LocalRuntime;
  try {
    runtime = await loadRuntime({ modelPath: resolved.path, sequences, contextSize });
  } catch (err) {
    throw new LMError(`Cannot load model ${resolved.path}: ${err instanceof Error ? err.message : String(err)}`, { kind: 'unknown', retryable: false });
  }
  const render = config.render ?? resolved.entry?.render ?? (hasChatTemplate(runtime.model) ? 'chat' : 'plain');
  const id = `local:${resolved.name}`;
  return new LocalLM(id, runtime, render, config.choiceMethod ?? DEFAULTS.choiceMethod);
}

function hasChatTemplate(model: LlamaModel): boolean {
  return typeof model.fileInfo.metadata.tokenizer?.chat_template === 'string';
}

/** A uint32 sampling seed from the rollout id: same rollout, same sample. */
export function seedFromRollout(rolloutId = ''): number {
  return createHash('sha256').update(rolloutId).digest().readUInt32BE(0);
}

class LocalLM implements LM {
  private readonly grammars = new Map<string, ReturnType<LocalRuntime['llama']['createGrammar']>>();
  /** Resolving the wrapper parses the model's Jinja template, so it is done once. */
  private chatWrapper?: ReturnType<LocalRuntime['lib']['resolveChatWrapper']>;

  constructor(
    readonly id: string,
    private readonly runtime: LocalRuntime,
    readonly render: PromptRendering,
    readonly choiceMethod: ChoiceMethod,
  ) {}

  async complete(messages: ChatMessage[], options: CompletionOptions = {}): Promise<Completion> {
    const prompt = this.renderPrompt(messages);
    const room = this.runtime.context.contextSize - prompt.tokens.length;
    if (room < 1) {
      throw new LMError(`Prompt of ${prompt.tokens.length} tokens does not fit the local context of ${this.runtime.context.contextSize} tokens`, {
        kind: 'bad_request',
        retryable: false,
      });
    }
    const choices = options.choices?.length ? options.choices : undefined;
    // A label is never cut short: maxTokens bounds free text only.
    const maxTokens = choices ? room : Math.min(options.maxTokens ?? DEFAULTS.maxTokens, room);
    try {
      // Latency counts from when a sequence is free: time queued behind other requests in this process
      // measures the caller's concurrency, not what the program costs to serve.
      const { reply, latencyMs } = await this.runtime.pool.use(prompt.tokens, async (sequence) => {
        const started = performance.now();
        const reply: Reply = await (choices && (this.choiceMethod === 'score' || options.scoreChoices)
          ? this.scoreChoices(sequence, prompt, choices, options)
          : this.generate(sequence, prompt.tokens, { ...options, maxTokens }, choices));
        return { reply, latencyMs: performance.now() - started };
      });
      return {
        text: reply.text,
        usage: { promptTokens: prompt.tokens.length, completionTokens: reply.tokens },
        latencyMs,
        cached: false,
        ...(options.scoreChoices && reply.logProbs && { choiceLogProbs: reply.logProbs }),
        ...(options.topLogProbs !== undefined && reply.tokenLogProbs && { tokenLogProbs: reply.tokenLogProbs }),
      };
    } catch (err) {
      throw classifyLMError(err);
    }
  }

  /**
   * Vectors from the model's own embedding context (llama.cpp's pooling over the last layer), one
   * text at a time; a text longer than the embedding context keeps its start.
   */
  async embed(texts: readonly string[]): Promise<number[][]> {
    try {
      const context = await embeddingContext(this.runtime);
      const vectors: number[][] = [];
      for (const text of texts) {
        const tokens = this.runtime.model.tokenize(text).slice(0, EMBEDDING_CONTEXT_SIZE);
        vectors.push([...(await context.getEmbeddingFor(tokens)).vector]);
      }
      return vectors;
    } catch (err) {
      throw classifyLMError(err);
    }
  }

  private renderPrompt(messages: readonly ChatMessage[]): RenderedPrompt {
    const { model, lib } = this.runtime;
    if (this.render === 'plain') {
      const text = renderPlain(messages);
      const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : [];
      // The answer follows `Field:` after a space, exactly as demos are rendered.
      return { tokens: [...bos, ...model.tokenize(text)], withAnswer: (answer) => [...bos, ...model.tokenize(`${text} ${answer}`)] };
    }
    const chatHistory: ChatHistoryItem[] = messages.map((m) =>
      m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
    );
    chatHistory.push({ type: 'model', response: [] });
    this.chatWrapper ??= lib.resolveChatWrapper(model);
    const tokens = this.chatWrapper.generateContextState({ chatHistory }).contextText.tokenize(model.tokenizer);
    return { tokens, withAnswer: (answer) => [...tokens, ...model.tokenize(answer)] };
  }

  private async generate(
    sequence: LlamaContextSequence,
    prompt: Token[],
    options: CompletionOptions & { maxTokens: number },
    choices: readonly string[] | undefined,
  ): Promise<Reply> {
    const { model, lib } = this.runtime;
    const temperature = options.temperature ?? 0;
    const stops = options.stop ?? [];
    const topLogProbs = options.topLogProbs;
    const grammar = choices ? new lib.LlamaGrammarEvaluationState({ model, grammar: await this.grammarFor(choices) }) : undefined;
    const sampling = { temperature, ...(temperature > 0 ? { seed: seedFromRollout(options.rolloutId) } : {}), grammarEvaluationState: grammar };
    let pending = await alignSequence(sequence, prompt);
    const generated: Token[] = [];
    const tokenLogProbs: GeneratedTokenLogProb[] = [];
    let text = '';
    let more = true;
    while (more) {
      more = false;
      // Reading the distribution costs ~5x a token on Gemma's 262k-token vocabulary (it is sorted whole;
      // docs/BENCHMARKS.md), so log-probabilities are read up to the reply's first visible token, where a
      // label answer starts, and later tokens are generated as without them. (With a grammar — a label —
      // every token: a second evaluation would not carry the grammar's state.)
      const reading = topLogProbs !== undefined && (grammar !== undefined || text.trim() === '');
      for await (const output of sequence.evaluateWithMetadata(pending, { probabilities: reading }, sampling)) {
        const { token, probabilities } = output as { token: Token; probabilities?: Map<Token, number> };
        if (reading && probabilities) {
          tokenLogProbs.push(this.tokenLogProb(token, probabilities, topLogProbs ?? 0, [...prompt, ...generated].slice(-DETOKENIZE_CONTEXT)));
        }
        generated.push(token);
        text = model.detokenize(generated);
        const stopAt = firstOf(firstStop(text, stops), this.render === 'plain' ? turnEnd(text) : -1);
        if (stopAt !== -1) {
          text = text.slice(0, stopAt);
          break;
        }
        // A grammar-forced label is done once no longer label extends it (saves one forward pass).
        if (choices && isFinalChoice(text.trim(), choices)) break;
        if (generated.length >= options.maxTokens) break;
        if (reading && !grammar && text.trim() !== '') {
          // Leaving the evaluation leaves this token unevaluated; the next one evaluates it, as this one
          // would have, one token at a time (at temperature > 0 its sampler starts again from the seed).
          pending = [token];
          more = true;
          break;
        }
      }
    }
    return { text: text.trim(), tokens: generated.length, ...(topLogProbs !== undefined && { tokenLogProbs }) };
  }

  /**
   * A generated token and the `top` likeliest at its position (node-llama-cpp sorts the distribution,
   * best first), as text read after the tokens `before` it. Probabilities are those the token was drawn
   * from: the model's own at temperature 0, the sampler's (temperature, top-k, top-p) above it.
   */
  private tokenLogProb(token: Token, probabilities: Map<Token, number>, top: number, before: readonly Token[]): GeneratedTokenLogProb {
    const entry = (t: Token, p: number) => ({ token: this.runtime.model.detokenize([t], false, before), logProb: Math.log(Math.max(p, Number.MIN_VALUE)) });
    const alternatives: GeneratedTokenLogProb['top'] = [];
    for (const [t, p] of probabilities) {
      if (alternatives.length >= top) break;
      alternatives.push(entry(t, p));
    }
    return { ...entry(token, probabilities.get(token) ?? 0), top: alternatives };
  }

  private grammarFor(choices: readonly string[]) {
    const source = choiceGrammar(choices, this.render === 'plain');
    let grammar = this.grammars.get(source);
    if (!grammar) {
      grammar = this.runtime.llama.createGrammar({ grammar: source });
      this.grammars.set(source, grammar);
    }
    return grammar;
  }

  /**
   * Scores every label by the log-probability of its tokens after the prompt and returns the best
   * (greedy) or a seeded sample (temperature > 0). The shared prompt is evaluated once; only labels
   * longer than one token cost extra forward passes.
   */
  private async scoreChoices(
    sequence: LlamaContextSequence,
    prompt: RenderedPrompt,
    choices: readonly string[],
    options: CompletionOptions,
  ): Promise<Reply & { logProbs: number[] }> {
    const candidates = choices.map((label) => prompt.withAnswer(label));
    const shared = Math.max(1, Math.min(...candidates.map((c) => sharedPrefixLength(c, prompt.tokens))));
    const prefix = prompt.tokens.slice(0, shared);
    const firstNext = await this.nextProbabilities(sequence, await alignSequence(sequence, prefix));
    const logProbs: number[] = [];
    for (const candidate of candidates) {
      const answer = candidate.slice(shared);
      let logProb = Math.log(firstNext.get(answer[0] as Token) ?? Number.MIN_VALUE);
      if (answer.length > 1) {
        for (let i = 1; i < answer.length; i++) {
          const next = await this.nextProbabilities(sequence, [answer[i - 1] as Token]);
          logProb += Math.log(next.get(answer[i] as Token) ?? Number.MIN_VALUE);
        }
        await sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]);
      }
      logProbs.push(logProb);
    }
    const pick = pickChoice(logProbs, options.temperature ?? 0, options.rolloutId);
    return { text: choices[pick] as string, tokens: (candidates[pick] as Token[]).length - shared, logProbs };
  }

  private async nextProbabilities(sequence: LlamaContextSequence, pending: Token[]): Promise<Map<Token, number>> {
    // The first yield carries the distribution after `pending`; stopping there leaves the sampled
    // token unevaluated, so the sequence holds exactly the prompt. (controlledEvaluate returned no
    // outputs with node-llama-cpp 3.21.1 here.)
    for await (const { probabilities } of sequence.evaluateWithMetadata(pending, { probabilities: true }, { temperature: 0 })) {
      if (probabilities) return probabilities;
      break;
    }
    throw new LMError('Local model returned no next-token probabilities', { kind: 'unknown', retryable: false });
  }

}

/** Greedy argmax, or a sample from softmax(logProb / temperature) seeded by the rollout id. */
export function pickChoice(logProbs: readonly number[], temperature: number, rolloutId?: string): number {
  const best = logProbs.reduce((bi, lp, i) => (lp > (logProbs[bi] as number) ? i : bi), 0);
  if (temperature <= 0) return best;
  const top = logProbs[best] as number;
  const weights = logProbs.map((lp) => Math.exp((lp - top) / temperature));
  let r = createRng(seedFromRollout(rolloutId)).next() * weights.reduce((a, b) => a + b, 0);
  for (const [i, w] of weights.entries()) if ((r -= w) < 0) return i;
  return best;
}

function firstStop(text: string, stops: readonly string[]): number {
  return stops.reduce((at, stop) => firstOf(at, stop ? text.indexOf(stop) : -1), -1);
}

/** The earlier of two `indexOf` results (-1: not found). */
function firstOf(a: number, b: number): number {
  return a === -1 ? b : b === -1 ? a : Math.min(a, b);
}

/**
 * Where a plain-rendered reply ends: the first blank line after it has said something. A chat-style
 * reply often opens with a blank line; stopping there would return nothing.
 */
function turnEnd(text: string): number {
  return text.indexOf(PLAIN_TURN_END, text.length - text.trimStart().length);
}

function isFinalChoice(text: string, choices: readonly string[]): boolean {
  return choices.includes(text) && !choices.some((c) => c !== text && c.startsWith(text));
}
