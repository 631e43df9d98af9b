/**
 * checkTaskSpec: what a task spec's schema cannot see, checked before a learner reports itself started
 * (by `kkachi task start`, and by the learner's first activity) instead of at the first cycle, which
 * may be a day later: the data files load, every mapped column exists, train and holdout are non-empty
 * and disjoint, and the model is installed or its endpoint answers.
 */
import { loadDataset } from '../core/datasets';
import { parseSignature, type Signature } from '../core/signature';
import { parseTaskSpec, TaskSpecError, type DatasetRef, type TaskSpec } from '../core/task-spec';
import type { Example } from '../core/types';
import { resolveModel } from '../models/location';
import { inHoldout } from './dataset';
import type { Deps } from './deps';
import type { KkachiActivities } from '../contract';

/** How long an endpoint has to answer `GET <baseURL>/models` (any HTTP status counts as an answer). */
export const ENDPOINT_TIMEOUT_MS = 5_000;

export interface SpecCheck {
  train: number;
  holdout: number;
}

export async function checkTaskSpec(spec: TaskSpec, { baseDir, env }: { baseDir: string; env: NodeJS.ProcessEnv }): Promise<SpecCheck> {
  const signature = parseSignature(spec.signature);
  const train = await loadSide('train', spec.data.train, signature, baseDir);
  const holdout = await loadSide('holdout', spec.data.holdout, signature, baseDir);
  const shared = train.filter(inHoldout(holdout)).length;
  if (shared > 0) {
    throw new TaskSpecError(`data.holdout: shares ${shared} of its ${holdout.length} examples with data.train (same id or same inputs); the holdout must be disjoint from train`);
  }
  await checkModel(spec.lm, env);
  return { train: train.length, holdout: holdout.length };
}

async function loadSide(side: 'train' | 'holdout', ref: DatasetRef, signature: Signature, baseDir: string): Promise<Example[]> {
  let examples: Example[];
  try {
    examples = await loadDataset(ref, signature, { baseDir });
  } catch (err) {
    throw new TaskSpecError(`data.${side}: ${(err as Error).message}`);
  }
  if (examples.length === 0) {
    const where = 'path' in ref ? ` in ${ref.path} (offset ${ref.offset}${ref.limit === undefined ? '' : `, limit ${ref.limit}`}; rows need a value in every mapped column)` : '';
    throw new TaskSpecError(`data.${side}: no examples${where}`);
  }
  return examples;
}

async function checkModel(lm: TaskSpec['lm'], env: NodeJS.ProcessEnv): Promise<void> {
  if (lm.provider === 'local') {
    try {
      resolveModel(lm.model, env);
    } catch (err) {
      throw new TaskSpecError(`lm.model: ${(err as Error).message}`);
    }
    return;
  }
  if (lm.baseURL === undefined) {
    if (!env.OPENAI_API_KEY) throw new TaskSpecError('lm.baseURL: not set, so the OpenAI API is used, but OPENAI_API_KEY is not set');
    return;
  }
  const url = `${lm.baseURL.replace(/\/+$/, '')}/models`;
  try {
    await fetch(url, { signal: AbortSignal.timeout(ENDPOINT_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new TaskSpecError(`lm.baseURL: ${lm.baseURL} does not answer (GET ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
}

export function preflightActivities({ baseDir, env }: Deps): Pick<KkachiActivities, 'checkTaskSpec'> {
  return {
    async checkTaskSpec(rawSpec) {
      return checkTaskSpec(parseTaskSpec(rawSpec), { baseDir, env });
    },
  };
}
