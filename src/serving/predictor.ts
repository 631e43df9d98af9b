/**
 * Serving: predicts with the version `chooseVersion` names for the request (the registry's `active`
 * pointer today). The choice is made once per request, at its start, so a promotion or rollback
 * takes effect on the next prediction with no restart, and no request is ever served by a
 * half-loaded program or switches version midway.
 */
import { randomUUID } from 'node:crypto';
import type { ProgramArtifact } from '../core/artifact';
import type { LM } from '../core/lm/types';
import { predict } from '../core/program';
import type { Fields, Prediction } from '../core/types';
import type { Store } from '../store/types';
import { chooseVersion } from './versions';

/** The part of the store serving needs: read-only, so N replicas can share one registry. */
export type ServingStore = Pick<Store, 'routing' | 'getProgram'>;

export interface Served {
  /** Idempotency key the caller sends back with feedback on this prediction. */
  predictionId: string;
  /** The version that answered; feedback on it is attributed to this version. */
  versionId: string;
  prediction: Prediction;
  /** Wall time of the whole prediction: version choice, program load and the LM call. */
  latencyMs: number;
}

export interface PredictRequest {
  /** Defaults to a random UUID; callers with their own request ids pass them. */
  predictionId?: string;
  /** Who is asking (a caller or user id): requests with one key see one version. Defaults to the prediction id. */
  key?: string;
}

export interface PredictorOptions {
  store: ServingStore;
  task: string;
  lm: LM;
  /** Called when a prediction is the first one served by a different version than the last. */
  onSwap?: (from: string | null, to: string) => void;
}

export class NoActiveVersionError extends Error {
  constructor(readonly task: string) {
    super(`Task "${task}" has no active version yet; start its learner or pipeline first`);
    this.name = 'NoActiveVersionError';
  }
}

export class Predictor {
  /** Loaded artifacts by version id (content-hashed, so an entry never goes stale). */
  private readonly programs = new Map<string, ProgramArtifact>();
  private servedVersion: string | null = null;

  constructor(private readonly options: PredictorOptions) {}

  get task(): string {
    return this.options.task;
  }

  /**
   * Predicts with the version chosen for the request; LM and parse failures come back in
   * `prediction`, not as throws. Bad inputs throw a ValidationError naming the field.
   */
  async predict(inputs: Fields, request: PredictRequest = {}): Promise<Served> {
    const started = performance.now();
    const predictionId = request.predictionId ?? randomUUID();
    const versionId = await chooseVersion(this.options.store, this.options.task, request.key ?? predictionId);
    if (!versionId) throw new NoActiveVersionError(this.options.task);
    const artifact = await this.load(versionId);
    if (this.servedVersion !== versionId) {
      const from = this.servedVersion;
      this.servedVersion = versionId;
      this.options.onSwap?.(from, versionId);
    }
    const prediction = await predict(artifact.program, inputs, this.options.lm);
    return { predictionId, versionId, prediction, latencyMs: performance.now() - started };
  }

  private async load(versionId: string): Promise<ProgramArtifact> {
    const cached = this.programs.get(versionId);
    if (cached) return cached;
    const artifact = await this.options.store.getProgram(versionId);
    if (!artifact) throw new Error(`Registry points at version ${versionId} of task "${this.options.task}", but the store has no such program`);
    this.programs.set(versionId, artifact);
    return artifact;
  }
}
