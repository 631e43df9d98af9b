/**
 * Loads a task spec's `DatasetRef` into validated examples: inline examples, or a JSON array / JSONL
 * file (a path, or `npm:<package>/<file>` inside an installed package) whose keys are mapped onto the
 * signature's fields. Example ids are stable across runs and slices — `<file basename>#<row index>`
 * for file rows — so the same row in a train slice and a holdout slice is recognisably the same.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { contentHash } from './canonical';
import { parseOrThrow, ValidationError } from './errors';
import { createRng } from './random';
import { inputSchema, outputSchema, type FieldSpec, type Signature } from './signature';
import type { DatasetRef } from './task-spec';
import type { Example, Fields } from './types';

/** The file itself is missing or unreadable as a dataset (as opposed to a bad value in a row). */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

export interface LoadDatasetOptions {
  /** Where relative paths and `npm:` packages are resolved from (default: the working directory). */
  baseDir?: string;
}

type FileRef = Extract<DatasetRef, { path: string }>;
type RawRow = Record<string, unknown>;

export async function loadDataset(ref: DatasetRef, signature: Signature, opts: LoadDatasetOptions = {}): Promise<Example[]> {
  return 'examples' in ref ? inlineExamples(ref.examples, signature) : fileExamples(ref, signature, opts.baseDir ?? process.cwd());
}

/**
 * Inline examples without an id get one from their content, so the same example written in the train
 * and the holdout set is recognised as one (and never trained on); exact repeats within a set are
 * dropped, as they would collide on that id and add nothing. A given id used twice is an error.
 */
function inlineExamples(examples: Extract<DatasetRef, { examples: unknown }>['examples'], signature: Signature): Example[] {
  const seen = new Set<string>();
  return examples.flatMap((raw, i) => {
    const where = `examples[${i}]`;
    const example = validated(signature, raw.id ?? `inline:${contentHash({ inputs: raw.inputs, outputs: raw.outputs }).slice(0, 16)}`, raw.inputs, raw.outputs, where);
    if (seen.has(example.id)) {
      if (raw.id === undefined) return [];
      throw new ValidationError(`${where}.id`, `${where}.id: duplicate id ${JSON.stringify(raw.id)}`);
    }
    seen.add(example.id);
    return [example];
  });
}

async function fileExamples(ref: FileRef, signature: Signature, baseDir: string): Promise<Example[]> {
  checkMapping('inputs', ref.inputs, signature.inputs);
  checkMapping('outputs', ref.outputs, signature.outputs);
  const file = resolveDatasetPath(ref.path, baseDir);
  const name = basename(file);
  const rows = parseRows(await readText(file, ref.path), file);
  checkColumns(ref, rows, name);

  const usable = rows.flatMap((row, index) => (hasAllValues(row, ref) ? [{ row, index }] : []));
  const ordered = ref.shuffleSeed === undefined ? usable : createRng(ref.shuffleSeed).shuffle(usable);
  const slice = ordered.slice(ref.offset, ref.limit === undefined ? undefined : ref.offset + ref.limit);

  return slice.map(({ row, index }) => {
    const id = `${name}#${index}`;
    const inputs = mapFields(row, ref.inputs, signature.inputs, undefined);
    const outputs = mapFields(row, ref.outputs, signature.outputs, ref.labels);
    return validated(signature, id, inputs, outputs, id);
  });
}

/** `npm:<package>/<file>` (scoped packages too) resolves through Node's module resolution. */
export function resolveDatasetPath(path: string, baseDir: string): string {
  if (!path.startsWith('npm:')) return isAbsolute(path) ? path : resolve(baseDir, path);
  const spec = path.slice('npm:'.length);
  try {
    return require.resolve(spec, { paths: [baseDir, __dirname] });
  } catch {
    throw new DatasetError(`dataset file not found: ${path} (is the package installed? \`npm install ${packageName(spec)}\`)`);
  }
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return (spec.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

async function readText(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `dataset file not found: ${shown}` : `cannot read dataset ${shown}: ${(err as Error).message}`);
  }
}

/** `.jsonl` / `.ndjson`: one object per line; anything else: a JSON array of objects. */
function parseRows(text: string, file: string): RawRow[] {
  const name = basename(file);
  const lines = ['.jsonl', '.ndjson'].includes(extname(file).toLowerCase());
  const values: unknown[] = lines
    ? text.split('\n').flatMap((line, i) => (line.trim() === '' ? [] : [parseJson(line, `${name} line ${i + 1}`)]))
    : asArray(parseJson(text, name), name);
  return values.map((v, i) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DatasetError(`${name}: row ${i} is not a JSON object`);
    return v as RawRow;
  });
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${where}: invalid JSON (${(err as Error).message})`);
  }
}

function asArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new DatasetError(`${name}: expected a JSON array of rows (or use a .jsonl file)`);
  return value;
}

/** Every signature field must be mapped, and nothing else. */
function checkMapping(side: 'inputs' | 'outputs', mapping: Record<string, string>, fields: readonly FieldSpec[]): void {
  const names = fields.map((f) => f.name);
  for (const field of Object.keys(mapping)) {
    if (!names.includes(field)) throw new ValidationError(`${side}.${field}`, `${side}.${field}: not an ${side === 'inputs' ? 'input' : 'output'} field of the signature (${names.join(', ')})`);
  }
  for (const field of names) {
    if (!(field in mapping)) throw new ValidationError(`${side}.${field}`, `${side}.${field}: required field is missing (which key of the file holds it?)`);
  }
}

/** A mapped column that no row has is a typo in the spec, not rows to skip quietly. */
function checkColumns(ref: FileRef, rows: readonly RawRow[], name: string): void {
  if (rows.length === 0) return;
  for (const [side, mapping] of [['inputs', ref.inputs], ['outputs', ref.outputs]] as const) {
    for (const [field, column] of Object.entries(mapping)) {
      if (!rows.some((row) => column in row)) {
        throw new DatasetError(`${name}: column ${JSON.stringify(column)} (mapped to ${side}.${field}) is in none of its ${rows.length} rows`);
      }
    }
  }
}

/** Placeholder rows (the sentiment fixtures end with `{"text": "", "class": null}`) carry no example. */
function hasAllValues(row: RawRow, ref: FileRef): boolean {
  return [...Object.values(ref.inputs), ...Object.values(ref.outputs)].every((key) => {
    const v = row[key];
    return v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === '') && !(Array.isArray(v) && v.length === 0);
  });
}

function mapFields(row: RawRow, mapping: Record<string, string>, fields: readonly FieldSpec[], labels: Record<string, string> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((f) => {
      const raw = row[mapping[f.name] as string];
      if (labels && f.type === 'enum' && String(raw) in labels) return [f.name, labels[String(raw)]];
      return [f.name, raw];
    }),
  );
}

/**
 * A list of gold answers (SQuAD's and NQ's `answers`) stays a list: the example's alternatives, with
 * the first answer as the output value (what a demo shows). Repeats are dropped (SQuAD lists the same
 * span once per annotator).
 */
function splitAlternatives(outputs: unknown): { outputs: unknown; alternatives?: Record<string, string[]> } {
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return { outputs };
  const lists = Object.entries(outputs).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0 && e[1].every((v) => typeof v === 'string'));
  if (lists.length === 0) return { outputs };
  const alternatives = Object.fromEntries(lists.map(([name, list]) => [name, [...new Set(list)]]));
  return { outputs: { ...outputs, ...Object.fromEntries(lists.map(([name, list]) => [name, list[0]])) }, alternatives };
}

/** Checks values against the signature; an error names the example and the field, e.g. `amazon.json#3.outputs.sentiment`. */
function validated(signature: Signature, id: string, inputs: unknown, rawOutputs: unknown, where: string): Example {
  const { outputs, alternatives } = splitAlternatives(rawOutputs);
  return {
    id,
    inputs: parseOrThrow(inputSchema(signature), inputs, `${where}.inputs`) as Fields,
    outputs: parseOrThrow(outputSchema(signature), outputs, `${where}.outputs`) as Fields,
    ...(alternatives && { alternatives }),
  };
}
