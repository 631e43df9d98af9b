/**
 * Response cache in front of any provider: re-running an evaluation or an optimizer with the same
 * seed replays identical requests for free, which is what makes optimization reproducible.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../canonical';
import type { ChatMessage, Completion, CompletionOptions, LM } from './types';

const tokenLogProbSchema = z.object({ token: z.string(), logProb: z.number() });

const entrySchema = z.object({
  v: z.literal(2),
  lm: z.string(),
  text: z.string(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  /** The provider's latency when the reply was made: a hit reports what serving it really costs. */
  latencyMs: z.number(),
  choiceLogProbs: z.array(z.number()).optional(),
  tokenLogProbs: z.array(tokenLogProbSchema.extend({ top: z.array(tokenLogProbSchema) })).optional(),
});
type CacheEntry = z.infer<typeof entrySchema>;

/** One text's embedding (`embed` caches per text, so a batch shares entries with any other batch). */
const vectorEntrySchema = z.object({ v: z.literal(1), lm: z.string(), vector: z.array(z.number()) });

/**
 * Everything that changes the reply, and nothing else: the provider id (never a key or secret),
 * the messages and sampling settings, and the rollout id that deliberately separates repeats.
 */
export function cacheKey(lmId: string, messages: ChatMessage[], options: CompletionOptions): string {
  return sha256Hex(
    canonicalJson({
      lm: lmId,
      messages: messages.map(({ role, content }) => ({ role, content })),
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      stop: options.stop,
      rolloutId: options.rolloutId,
      choices: options.choices,
      scoreChoices: options.scoreChoices,
      topLogProbs: options.topLogProbs,
    }),
  );
}

export class CachedLM implements LM {
  readonly id: string;
  readonly embed: LM['embed'];
  /** Identical concurrent requests share one provider call. */
  private readonly inFlight = new Map<string, Promise<Completion>>();

  constructor(
    private readonly inner: LM,
    private readonly dir: string,
  ) {
    this.id = inner.id;
    const embed = inner.embed?.bind(inner);
    this.embed = embed && ((texts) => this.cachedEmbed(texts, embed));
  }

  /** Cached vectors per text; the texts not cached yet go to the provider in one batch. */
  private async cachedEmbed(texts: readonly string[], embed: NonNullable<LM['embed']>): Promise<number[][]> {
    const keyOf = (text: string) => sha256Hex(canonicalJson({ lm: this.inner.id, embed: text }));
    const vectors = new Map<string, number[]>();
    for (const text of new Set(texts)) {
      const entry = await this.read(keyOf(text), vectorEntrySchema);
      if (entry) vectors.set(text, entry.vector);
    }
    const missing = [...new Set(texts)].filter((text) => !vectors.has(text));
    if (missing.length > 0) {
      const fetched = await embed(missing);
      for (const [i, text] of missing.entries()) {
        const vector = fetched[i] as number[];
        vectors.set(text, vector);
        await this.write(keyOf(text), { v: 1, lm: this.inner.id, vector });
      }
    }
    return texts.map((text) => vectors.get(text) as number[]);
  }

  async complete(messages: ChatMessage[], options: CompletionOptions = {}): Promise<Completion> {
    if (options.cache === false) return this.inner.complete(messages, options);
    const key = cacheKey(this.inner.id, messages, options);
    const pending = this.inFlight.get(key);
    if (pending) return { ...(await pending), cached: true };

    // Registered before the first await so a concurrent twin joins instead of racing to the provider.
    const call = this.lookupOrFetch(key, messages, options);
    this.inFlight.set(key, call);
    try {
      return await call;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * A hit carries the latency the provider had when it made the reply, not the lookup time: the A/B
   * gate compares latencies of programs whose replies may come from the cache in one arm only.
   */
  private async lookupOrFetch(key: string, messages: ChatMessage[], options: CompletionOptions): Promise<Completion> {
    const stored = await this.read(key, entrySchema);
    if (stored) {
      const { text, usage, latencyMs, choiceLogProbs, tokenLogProbs } = stored;
      return { text, usage: { ...usage }, cached: true, latencyMs, ...(choiceLogProbs && { choiceLogProbs }), ...(tokenLogProbs && { tokenLogProbs }) };
    }
    const completion = await this.inner.complete(messages, options);
    const { text, usage, latencyMs, choiceLogProbs, tokenLogProbs } = completion;
    await this.write(key, { v: 2, lm: this.inner.id, text, usage, latencyMs, choiceLogProbs, tokenLogProbs });
    return completion;
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** A missing, unreadable or corrupt entry is a miss; the next write replaces it. */
  private async read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    try {
      const parsed = schema.safeParse(JSON.parse(await readFile(this.path(key), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Temp file + rename: readers and concurrent writers (other processes too) only ever see whole files. */
  private async write(key: string, entry: CacheEntry | z.infer<typeof vectorEntrySchema>): Promise<void> {
    const file = this.path(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
