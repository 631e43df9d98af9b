/** Builds the LM stack a run uses from plain config: provider, then cache, then usage meter. */
import { z } from 'zod';
import { parseOrThrow } from '../errors';
import { httpUrlSchema } from '../task-spec';
import { CachedLM } from './cache';
import { OpenAICompatibleLM } from './openai';
import type { LM } from './types';
import { MeteredLM, UsageMeter } from './usage';

export const LMConfig = z.object({
  provider: z.enum(['openai', 'local']).default('openai'),
  model: z.string().min(1),
  baseURL: httpUrlSchema.optional(),
});
export type LMConfig = z.infer<typeof LMConfig>;

export interface CreateLMOptions {
  /** Response cache directory; `null` or absent runs uncached. */
  cacheDir?: string | null;
  /** Shared meter when the caller aggregates usage across LMs; a fresh one otherwise. */
  meter?: UsageMeter;
  retry?: 'backoff' | 'off';
  /** Where catalogue models are installed; required for the local provider with a catalogue name. */
  modelsDir?: string;
}

async function createProvider(config: LMConfig, options: CreateLMOptions): Promise<LM> {
  if (config.provider === 'local') {
    // Loaded lazily: node-llama-cpp is heavy and only local runs need it.
    const { createLocalLM } = await import('./local');
    return createLocalLM({ model: config.model, modelsDir: options.modelsDir });
  }
  // The API key comes from the environment only, so it never travels inside a config or payload.
  return new OpenAICompatibleLM({ model: config.model, baseURL: config.baseURL, retry: options.retry });
}

/** `config` is validated here; a bad field throws a ValidationError naming it (e.g. `lm.model`). */
export async function createLM(config: z.input<typeof LMConfig>, options: CreateLMOptions = {}): Promise<MeteredLM> {
  const parsed = parseOrThrow(LMConfig, config, 'lm');
  const provider = await createProvider(parsed, options);
  const cached = options.cacheDir ? new CachedLM(provider, options.cacheDir) : provider;
  return new MeteredLM(cached, options.meter ?? new UsageMeter());
}
