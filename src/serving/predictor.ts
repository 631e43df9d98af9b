/**
 * Serving: predicts with whatever version the registry's `active` pointer names for a task. The
 * pointer is read on every call (one indexed store read), so a promotion or rollback takes effect on
 * the very next prediction with no restart and no request ever served by a half-loaded program.
 */
import { randomUUID } from 'node:crypto';
import type { ProgramArtifact } from '../core/artifact';
import type { LM } from '../core/lm/types';
import { predict } from '../core/program';
import type { Fields, Prediction } from '../core/types';
import type { Store } from '../store/types';

/** The part of the store serving needs: read-only, so N replicas can share one registry. */
export type ServingStore = Pick<Store, 'getPointers' | 'getProgram'>;

export interface Served {
  /** Idempotency key the caller sends back with feedback on this prediction. */
  predictionId: string;
  /** The version that answered; feedback on it is attributed to this version. */
  versionId: string;
  prediction: Prediction;
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

  /** The version the registry says is active now. */
  async activeVersion(): Promise<string> {
    const { active } = await this.options.store.getPointers(this.options.task);
    if (!active) throw new NoActiveVersionError(this.options.task);
    return active;
  }

  /**
   * Predicts with the active version; LM and parse failures come back in `prediction`, not as throws.
   * `predictionId` defaults to a random UUID; callers with their own request ids pass them.
   */
  async predict(inputs: Fields, predictionId: string = randomUUID()): Promise<Served> {
    const versionId = await this.activeVersion();
    const artifact = await this.load(versionId);
    if (this.servedVersion !== versionId) {
      const from = this.servedVersion;
      this.servedVersion = versionId;
      this.options.onSwap?.(from, versionId);
    }
    const prediction = await predict(artifact.program, inputs, this.options.lm);
    return { predictionId, versionId, prediction };
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
