/**
 * The simulated users' side of `kkachi serve`: plain HTTP calls, as any service in any language would
 * make them (POST predict, then POST feedback naming the prediction by id).
 */
import type { Fields } from '../core/types';
import { NoActiveVersionError } from '../serving/predictor';

export interface Answer {
  predictionId: string;
  versionId: string;
  /** Null when the prediction failed (LM error or unparseable reply). */
  outputs: Fields | null;
}

export interface FeatureClient {
  /** NoActiveVersionError before a version is deployed. */
  predict(inputs: Fields): Promise<Answer>;
  /** Resolves once the server answered 202 (Temporal has the record). */
  feedback(predictionId: string, correct: Fields): Promise<void>;
}

export function httpFeatureClient(baseUrl: string, task: string): FeatureClient {
  const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${baseUrl}/v1/tasks/${encodeURIComponent(task)}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const failure = (what: string, res: { status: number; body: Record<string, unknown> }) =>
    new Error(`${what}: HTTP ${res.status} ${JSON.stringify((res.body as { error?: unknown }).error ?? res.body)}`);
  return {
    async predict(inputs) {
      const res = await post('predict', { inputs });
      // Before the pipeline deploys its baseline the task is not in the store yet (404), then has no version (409).
      if (res.status === 409 || res.status === 404) throw new NoActiveVersionError(task);
      const { predictionId, versionId, outputs } = res.body as { predictionId?: string; versionId?: string; outputs?: Fields };
      // 502: the model's answer failed; it is logged and named, with nothing to correct.
      if ((res.status === 200 || res.status === 502) && predictionId && versionId) return { predictionId, versionId, outputs: res.status === 200 ? (outputs ?? null) : null };
      throw failure('predict', res);
    },
    async feedback(predictionId, correct) {
      const res = await post('feedback', { predictionId, correct });
      if (res.status !== 202) throw failure('feedback', res);
    },
  };
}
