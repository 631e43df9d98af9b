/**
 * A program is DSPy's `Predict`: signature + instructions + demos + LM settings, as plain JSON.
 * `predict` runs one forward pass; LM and parse failures come back as data, never as exceptions.
 */
import { z } from 'zod';
import { getAdapter } from './adapters';
import { parseOrThrow } from './errors';
import { fieldsSchema } from './fields';
import type { CompletionOptions, LM } from './lm/types';
import { inputSchema, parseSignature, SignatureError, type Signature } from './signature';
import type { Fields, Prediction } from './types';


export const demoSchema = z.object({
  inputs: fieldsSchema,
  outputs: fieldsSchema,
  augmented: z.boolean().optional(),
});

export const programSpecSchema = z.object({
  signature: z.string().superRefine((src, ctx) => {
    try {
      parseSignature(src);
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  }),
  instructions: z.string().default(''),
  demos: z.array(demoSchema).default([]),
  adapter: z.enum(['chat', 'completion']).default('chat'),
  lm: z
    .object({
      temperature: z.number().min(0).max(2).default(0),
      maxTokens: z.number().int().positive().default(256),
    })
    .prefault({}),
});

export type ProgramSpec = z.output<typeof programSpecSchema>;
export type ProgramSpecInput = z.input<typeof programSpecSchema>;

/** A zero-shot program; throws SignatureError for a bad signature. */
export function createProgram(
  signature: string,
  instructions = '',
  overrides: Partial<Omit<ProgramSpecInput, 'signature' | 'instructions'>> = {},
): ProgramSpec {
  parseSignature(signature);
  return parseOrThrow(programSpecSchema, { ...overrides, signature, instructions }, 'program');
}

/** The labels an LM may answer with when the only output is an enum (lets providers constrain decoding). */
export function soleEnumChoices(signature: Signature): string[] | undefined {
  const [only, ...rest] = signature.outputs;
  return only && rest.length === 0 && only.type === 'enum' ? only.choices : undefined;
}

export interface PredictOptions {
  /** Distinguishes repeated calls on the same input so they miss the cache (bootstrapping, sampling). */
  rolloutId?: string;
  /** Overrides the program's temperature for this call. */
  temperature?: number;
}

/**
 * One forward pass. Throws ValidationError naming the field when `inputs` do not match the signature
 * (a caller bug); every LM or parse failure is returned as `{ok: false}`.
 */
export async function predict(program: ProgramSpec, inputs: Fields, lm: LM, opts: PredictOptions = {}): Promise<Prediction> {
  const signature = parseSignature(program.signature);
  const validInputs = parseOrThrow(inputSchema(signature), inputs, 'inputs') as Fields;
  const adapter = getAdapter(program.adapter);
  const messages = adapter.format(program, validInputs);
  const options: CompletionOptions = {
    temperature: opts.temperature ?? program.lm.temperature,
    maxTokens: program.lm.maxTokens,
  };
  if (opts.rolloutId !== undefined) options.rolloutId = opts.rolloutId;
  const choices = soleEnumChoices(signature);
  if (choices) options.choices = choices;

  const started = performance.now();
  let completion;
  try {
    completion = await lm.complete(messages, options);
  } catch (err) {
    return {
      ok: false,
      error: { kind: 'lm', message: err instanceof Error ? err.message : String(err), retryable: isRetryable(err) },
      latencyMs: performance.now() - started,
      cached: false,
      promptTokens: 0,
      completionTokens: 0,
    };
  }
  const meta = {
    raw: completion.text,
    latencyMs: completion.latencyMs,
    cached: completion.cached,
    promptTokens: completion.usage.promptTokens,
    completionTokens: completion.usage.completionTokens,
  };
  const parsed = adapter.parse(signature, completion.text);
  return parsed.ok ? { ok: true, outputs: parsed.outputs, ...meta } : { ok: false, error: { kind: 'parse', message: parsed.message }, ...meta };
}

/** LMError (core/lm/errors.ts) carries `retryable`; read duck-typed so any provider's error can say so. */
function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}
