/**
 * The LM stack an activity uses: the spec's provider with the response cache and a usage meter, the
 * provider's own retries off (Temporal owns retries), and a fail-fast guard for permanent errors.
 */
import { createLM } from '../core/lm/factory';
import { embedThrough, type ChatMessage, type Completion, type CompletionOptions, type LM } from '../core/lm/types';
import { UsageMeter } from '../core/lm/usage';
import type { TaskSpec } from '../core/task-spec';
import { MeteredActivityLM } from './metrics';
import type { Deps } from './deps';

/**
 * `predict` turns LM failures into data, so a 401 would otherwise be scored as a wrong answer on
 * every example. After the first non-retryable error (bad key, unknown model) every further call
 * fails at once without a request, and the activity rethrows the error when the run ends.
 */
export class FailFastLM implements LM {
  readonly id: string;
  readonly embed: LM['embed'];
  private fatal: Error | undefined;

  constructor(private readonly inner: LM) {
    this.id = inner.id;
    this.embed = embedThrough(inner);
  }

  async complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion> {
    if (this.fatal) throw this.fatal;
    try {
      return await this.inner.complete(messages, options);
    } catch (err) {
      if ((err as { retryable?: unknown }).retryable === false) this.fatal = err as Error;
      throw err;
    }
  }

  /**
   * Runs `fn`; if a permanent LM error happened meanwhile, that error wins over whatever `fn` returned
   * or threw (e.g. an error-budget error, or a result scored on failed calls).
   */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      throw this.fatal ?? err;
    }
    if (this.fatal) throw this.fatal;
    return result;
  }
}

export interface ActivityLM {
  lm: FailFastLM;
  meter: UsageMeter;
}

export async function activityLM(spec: TaskSpec, { cacheDir, modelsDir }: Pick<Deps, 'cacheDir' | 'modelsDir'>): Promise<ActivityLM> {
  const meter = new UsageMeter();
  const { provider, model, baseURL } = spec.lm;
  const lm = await createLM({ provider, model, baseURL }, { cacheDir, modelsDir, retry: 'off', meter });
  return { lm: new FailFastLM(new MeteredActivityLM(lm)), meter };
}
