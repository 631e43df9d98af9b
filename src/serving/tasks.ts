/**
 * The tasks a serving process answers for: every task in the store, loaded on first use from the
 * spec its learner stored (signature, LM), each with one Predictor. Specs are read once per process;
 * versions are not cached here at all (the Predictor resolves one per request).
 */
import type { ZodObject } from 'zod';
import type { LMConfig } from '../core/lm/factory';
import type { LM } from '../core/lm/types';
import { inputSchema, outputSchema, parseSignature, type Signature } from '../core/signature';
import { parseTaskSpec, type TaskSpec } from '../core/task-spec';
import type { Store } from '../store/types';
import { Predictor } from './predictor';

/** What the catalogue reads from the store. */
export type CatalogueStore = Pick<Store, 'getPointers' | 'routing' | 'getProgram' | 'getTaskSpec'>;

export interface ServedTask {
  name: string;
  spec: TaskSpec;
  /** The spec as stored: what a learner started by serving is given. */
  rawSpec: unknown;
  signature: Signature;
  inputs: ZodObject;
  outputs: ZodObject;
  predictor: Predictor;
}

export class UnknownTaskError extends Error {
  constructor(readonly task: string, detail = 'no such task in the store') {
    super(`task "${task}": ${detail}`);
    this.name = 'UnknownTaskError';
  }
}

export interface TaskCatalogueOptions {
  store: CatalogueStore;
  /** The LM a task's predictions use; `config` is the task spec's provider, model and endpoint. */
  lmFor: (config: LMConfig) => Promise<LM>;
}

export class TaskCatalogue {
  /** Promises, so concurrent first requests for a task load it once. */
  private readonly loaded = new Map<string, Promise<ServedTask>>();

  constructor(private readonly options: TaskCatalogueOptions) {}

  /** The task, or UnknownTaskError when the store has no spec for it. */
  get(task: string): Promise<ServedTask> {
    let entry = this.loaded.get(task);
    if (!entry) {
      entry = this.load(task);
      this.loaded.set(task, entry);
      // A task unknown now may be started later: do not remember failures.
      entry.catch(() => this.loaded.delete(task));
    }
    return entry;
  }

  private async load(name: string): Promise<ServedTask> {
    const rawSpec = await this.options.store.getTaskSpec(name);
    if (rawSpec === null || rawSpec === undefined) throw new UnknownTaskError(name);
    const spec = parseTaskSpec(rawSpec);
    const signature = parseSignature(spec.signature);
    const { provider, model, baseURL } = spec.lm;
    const lm = await this.options.lmFor(baseURL ? { provider, model, baseURL } : { provider, model });
    return {
      name,
      spec,
      rawSpec,
      signature,
      inputs: inputSchema(signature),
      outputs: outputSchema(signature),
      predictor: new Predictor({ store: this.options.store, task: name, lm }),
    };
  }
}
