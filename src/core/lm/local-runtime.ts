/**
 * One llama.cpp runtime per process: the Llama instance, each model file loaded once, and a context
 * with a small pool of sequences per (model, sequences, context size). Loading costs ~1 s and tens of
 * MB, so every LM object over the same file shares it.
 */
import * as os from 'node:os';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { importNodeLlamaCpp, type NodeLlamaCpp } from './local-esm';

export interface RuntimeKey {
  modelPath: string;
  sequences: number;
  contextSize: number;
}

export interface LocalRuntime {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  pool: SequencePool;
  /** The same model's embedding context, made on first use (see `embeddingContext`). */
  embedding?: Promise<LlamaEmbeddingContext>;
}

/** Tokens an embedded text keeps (its start): KNN embeds one example's inputs, rarely longer. */
export const EMBEDDING_CONTEXT_SIZE = 512;

/** The runtime's embedding context, created once: the model's weights are shared, only the KV cache is new. */
export function embeddingContext(runtime: LocalRuntime): Promise<LlamaEmbeddingContext> {
  runtime.embedding ??= runtime.model.createEmbeddingContext({ contextSize: EMBEDDING_CONTEXT_SIZE });
  return runtime.embedding;
}

let llamaPromise: Promise<Llama> | undefined;
const models = new Map<string, Promise<LlamaModel>>();
const runtimes = new Map<string, Promise<LocalRuntime>>();

/**
 * CPU threads for llama.cpp: one core fewer than the machine has (at least one), or
 * `KKACHI_LLAMA_THREADS`. llama.cpp threads spin-wait for each other, so when another busy process
 * (the Temporal server, a worker, a test runner) takes a core, a descheduled thread stalls the rest:
 * on 2 loaded cores, 2 threads ran 6–15x slower than 1 (docs/BENCHMARKS.md). Its own default (4)
 * is worse still.
 */
export function llamaThreads(env: NodeJS.ProcessEnv = process.env): number {
  const requested = Number(env.KKACHI_LLAMA_THREADS);
  return Number.isInteger(requested) && requested > 0 ? requested : Math.max(1, os.availableParallelism() - 1);
}

function getSharedLlama(lib: NodeLlamaCpp): Promise<Llama> {
  llamaPromise ??= lib.getLlama({ gpu: false, build: 'never', maxThreads: llamaThreads(), logLevel: lib.LlamaLogLevel.error });
  return llamaPromise;
}

function getSharedModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
  let model = models.get(modelPath);
  if (!model) {
    model = llama.loadModel({ modelPath });
    models.set(modelPath, model);
    model.catch(() => models.delete(modelPath));
  }
  return model;
}

export function loadRuntime(key: RuntimeKey): Promise<LocalRuntime> {
  const id = `${key.modelPath}|${key.sequences}|${key.contextSize}`;
  let runtime = runtimes.get(id);
  if (!runtime) {
    runtime = createRuntime(key);
    runtimes.set(id, runtime);
    runtime.catch(() => runtimes.delete(id));
  }
  return runtime;
}

async function createRuntime(key: RuntimeKey): Promise<LocalRuntime> {
  const lib = await importNodeLlamaCpp();
  const llama = await getSharedLlama(lib);
  const model = await getSharedModel(llama, key.modelPath);
  // swaFullCache keeps Gemma's sliding-window layers reusable for any prompt prefix (the demos).
  const context = await model.createContext({ sequences: key.sequences, contextSize: key.contextSize, swaFullCache: true });
  const sequences = Array.from({ length: key.sequences }, () => context.getSequence());
  return { lib, llama, model, context, pool: new SequencePool(sequences) };
}

/** Disposes every loaded context and model (tests and servers call this on shutdown). */
export async function disposeLocalRuntimes(): Promise<void> {
  const loaded = await Promise.allSettled([...runtimes.values()]);
  runtimes.clear();
  for (const r of loaded) {
    if (r.status !== 'fulfilled') continue;
    await r.value.context.dispose();
    await (await r.value.embedding?.catch(() => undefined))?.dispose();
  }
  const loadedModels = await Promise.allSettled([...models.values()]);
  models.clear();
  for (const m of loadedModels) if (m.status === 'fulfilled') await m.value.dispose();
}

/**
 * Hands out idle sequences, preferring the one whose cached tokens share the longest prefix with the
 * prompt (so a program's instructions and demos are evaluated once, not per example).
 */
export class SequencePool {
  private readonly idle: LlamaContextSequence[];
  private readonly waiting: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(sequences: LlamaContextSequence[]) {
    this.idle = [...sequences];
  }

  async use<T>(prompt: readonly Token[], work: (sequence: LlamaContextSequence) => Promise<T>): Promise<T> {
    const sequence = await this.acquire(prompt);
    try {
      return await work(sequence);
    } finally {
      this.release(sequence);
    }
  }

  private acquire(prompt: readonly Token[]): Promise<LlamaContextSequence> {
    if (this.idle.length === 0) return new Promise((resolve) => this.waiting.push(resolve));
    let best = 0;
    let bestShared = -1;
    this.idle.forEach((sequence, index) => {
      const shared = sharedPrefixLength(sequence.contextTokens, prompt);
      if (shared > bestShared) [best, bestShared] = [index, shared];
    });
    return Promise.resolve(this.idle.splice(best, 1)[0] as LlamaContextSequence);
  }

  private release(sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.idle.push(sequence);
  }
}

export function sharedPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Tokens per evaluation chunk. llama.cpp's CPU kernels give a token slightly different values depending
 * on the batch it is evaluated in — its size and its place in it (a repacked quantized matmul takes rows
 * four at a time and the rest one by one) — and a greedy answer can flip on that. So a prompt is evaluated
 * in chunks that start at multiples of this size, and a cached prefix is reused only up to such a
 * boundary: every position is computed in the same batch whatever the sequence held before (issue 11).
 * Reuse costs up to this many tokens again per call, larger chunks more: 64 made an 8-shot SmolLM2
 * evaluation ~2.5x slower, 16 costs 3–50% per example (docs/BENCHMARKS.md); fewer means more decodes.
 */
export const EVALUATION_CHUNK = 16;

/** How many leading tokens of each sequence were evaluated in whole aligned chunks (generated tokens never are). */
const alignedTokens = new WeakMap<LlamaContextSequence, number>();

/**
 * Brings the sequence to the prompt `tokens` in aligned chunks: keeps the longest cached prefix that
 * ends on a chunk boundary and was evaluated in whole chunks, evaluates the prompt's whole chunks after
 * it, and returns the last chunk (at least one token), which the caller evaluates to get the logits.
 */
export async function alignSequence(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<Token[]> {
  const reusable = Math.min(sharedPrefixLength(sequence.contextTokens, tokens), alignedTokens.get(sequence) ?? 0, tokens.length - 1);
  const keep = reusable - (reusable % EVALUATION_CHUNK);
  if (keep < sequence.nextTokenIndex) {
    await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  }
  const lastChunk = tokens.length - 1 - ((tokens.length - 1) % EVALUATION_CHUNK);
  for (let start = keep; start < lastChunk; start += EVALUATION_CHUNK) {
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, start + EVALUATION_CHUNK));
  }
  alignedTokens.set(sequence, lastChunk);
  return tokens.slice(lastChunk);
}
