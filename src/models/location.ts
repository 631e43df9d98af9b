/** Where models live, from the environment: the edges (CLI, demo, worker) resolve it and pass it in. */
import * as path from 'node:path';
import { DEFAULT_MODEL, locateModel, type ResolvedModel } from '../core/lm/catalogue';

/** `KKACHI_MODELS_DIR`, else `<KKACHI_HOME or .kkachi>/models` (relative to the working directory). */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KKACHI_MODELS_DIR) return path.resolve(env.KKACHI_MODELS_DIR);
  return path.resolve(env.KKACHI_HOME ?? '.kkachi', 'models');
}

/**
 * A catalogue name or a GGUF path → an existing file. Falls back to `KKACHI_MODEL`, then the default
 * model. Throws `ModelMissingError` when the file is absent.
 */
export function resolveModel(nameOrPath?: string, env: NodeJS.ProcessEnv = process.env): ResolvedModel {
  return locateModel(nameOrPath || env.KKACHI_MODEL || DEFAULT_MODEL, modelsDir(env));
}

/** `resolveModel(...).path`. */
export function resolveModelPath(nameOrPath?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolveModel(nameOrPath, env).path;
}
