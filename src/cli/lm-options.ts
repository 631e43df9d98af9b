/** The flags that choose an LM (embedded model by default, or any OpenAI-compatible endpoint). */
import { DEFAULT_MODEL } from '../core/lm/catalogue';
import { resolveModel } from '../models/location';
import type { LMConfig } from '../core/lm/factory';
import { stringFlag, UsageError, type OptionSpec, type Values } from './command';

export const LM_OPTIONS: Record<string, OptionSpec> = {
  provider: { type: 'string', value: 'local|openai', description: 'LM provider (default: $KKACHI_LM, else local)' },
  model: { type: 'string', value: 'NAME', description: `model: a catalogue name or GGUF path for local (default: $KKACHI_MODEL, else ${DEFAULT_MODEL}); the model id for openai (default: $OPENAI_MODEL)` },
  'base-url': { type: 'string', value: 'URL', description: 'OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else OpenAI)' },
};

/** The LM config the flags ask for; a local model that is not installed fails here, naming `kkachi model fetch`. */
export function lmConfigFromFlags(values: Values, env: NodeJS.ProcessEnv): LMConfig {
  const provider = stringFlag(values, 'provider') ?? (env.KKACHI_LM || 'local');
  if (provider !== 'local' && provider !== 'openai') throw new UsageError(`--provider must be local or openai, got "${provider}"`);
  const baseURL = stringFlag(values, 'base-url') ?? (provider === 'openai' ? env.OPENAI_BASE_URL : undefined);
  const model = stringFlag(values, 'model') ?? (provider === 'local' ? env.KKACHI_MODEL || DEFAULT_MODEL : env.OPENAI_MODEL);
  if (!model) throw new UsageError('--model is required with --provider openai (or set OPENAI_MODEL)');
  if (provider === 'local') resolveModel(model, env);
  return baseURL ? { provider, model, baseURL } : { provider, model };
}
