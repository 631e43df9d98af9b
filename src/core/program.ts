/**
 * A program is DSPy's `Predict`: signature + instructions + demos + LM settings, as plain JSON.
 * `predict` runs one forward pass; LM and parse failures come back as data, never as exceptions.
 */
import { z } from 'zod';
import { getAdapter } from './adapters';
import { calibratedChoice, calibrationSchema } from './calibration';
import { majorityVote } from './ensemble';
import { parseOrThrow } from './errors';
import { demoSchema } from './fields';
import { knnSchema, knnText, nearestDemos } from './knn';
import { routeFor } from './router';
import type { CompletionOptions, LM } from './lm/types';
import { inputSchema, parseSignature, SignatureError, soleEnumChoices, type Signature } from './signature';
import type { Fields, Prediction } from './types';


export { demoSchema };

/** One prompt: everything of a program but its signature (an ensemble member shares its program's). */
export const promptSpecSchema = z.object({
  instructions: z.string().default(''),
  demos: z.array(demoSchema).default([]),
  adapter: z.enum(['chat', 'completion']).default('chat'),
  lm: z
    .object({
      temperature: z.number().min(0).max(2).default(0),
      maxTokens: z.number().int().positive().default(256),
    })
    .prefault({}),
  /** Label-bias calibration of the label scores (absent: the model's own answer; see calibration.ts). */
  calibration: calibrationSchema.optional(),
});

/** A program without its signature: what a router dispatches to (every route shares the router's signature). */
export const routeSchema = promptSpecSchema.extend({
  /**
   * DSPy's Ensemble: further prompts that vote with this one; the majority answer wins, ties go to
   * the earliest voter (this program first). See ensemble.ts.
   */
  ensemble: z.object({ members: z.array(promptSpecSchema).min(1) }).optional(),
  /** DSPy's KNNFewShot: this prompt's demos are the k of the pool nearest each request (knn.ts); `demos` is unused. */
  knn: knnSchema.optional(),
});

const signatureSchema = z.string().superRefine((src, ctx) => {
  try {
    parseSignature(src);
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** The input field names of a signature, or undefined when it does not parse (its own check reports that). */
function inputNames(signature: string): string[] | undefined {
  try {
    return parseSignature(signature).inputs.map((f) => f.name);
  } catch {
    return undefined;
  }
}

/** A router's classifier: a small program of its own signature whose sole output names the route. */
export const classifierSchema = promptSpecSchema.extend({ signature: signatureSchema }).superRefine((classifier, ctx) => {
  try {
    const outputs = parseSignature(classifier.signature).outputs;
    if (outputs.length !== 1) ctx.addIssue({ code: 'custom', path: ['signature'], message: `a router's classifier names the route in one output field, "${classifier.signature}" has ${outputs.length}` });
  } catch {
    // the signature's own check reports it
  }
});

export const programSpecSchema = routeSchema
  .extend({
    signature: signatureSchema,
    /**
     * Routing: a request is answered by the route (a program optimized for that domain) named by its
     * input `field`, else by the `classifier`'s answer, else by this program itself. See router.ts.
     */
    router: z
      .object({ field: z.string().min(1).optional(), classifier: classifierSchema.optional(), routes: z.record(z.string(), routeSchema) })
      .refine((r) => r.field !== undefined || r.classifier !== undefined, { message: 'a router names a route by an input field, a classifier or both' })
      .optional(),
  })
  .superRefine((program, ctx) => {
    if (!program.router) return;
    const inputs = inputNames(program.signature);
    if (!inputs) return;
    const { field, classifier } = program.router;
    if (field !== undefined && !inputs.includes(field)) ctx.addIssue({ code: 'custom', path: ['router', 'field'], message: `router field "${field}" is not an input of the signature (${inputs.join(', ')})` });
    const unknown = (classifier && inputNames(classifier.signature)?.filter((name) => !inputs.includes(name))) ?? [];
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', path: ['router', 'classifier', 'signature'], message: `classifier inputs ${unknown.join(', ')} are not inputs of the signature (${inputs.join(', ')})` });
  });

export type PromptSpec = z.output<typeof promptSpecSchema>;
export type RouteSpec = z.output<typeof routeSchema>;
export type ClassifierSpec = z.output<typeof classifierSchema>;
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

/** What an optimizer starts from: the instructions and settings, without the demos, calibration, voters, demo pool or routes it chooses. */
export function studentOf(program: ProgramSpec): ProgramSpec {
  const { calibration: _calibration, ensemble: _ensemble, knn: _knn, router: _router, ...prompt } = program;
  return { ...prompt, demos: [] };
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
  const route = await routeFor(program, validInputs, (classifier, classifierInputs) => predict(classifier, classifierInputs, lm, opts));
  const prediction = await predictRoute(route.program, signature, route.inputs, lm, opts);
  return route.classification ? withWorkOf(route.classification, prediction) : prediction;
}

/** `prediction` with the LM work of an earlier step of the same request (a router's classifier) added. */
function withWorkOf(step: Prediction, prediction: Prediction): Prediction {
  return {
    ...prediction,
    latencyMs: prediction.latencyMs + step.latencyMs,
    cached: prediction.cached && step.cached,
    promptTokens: prediction.promptTokens + step.promptTokens,
    completionTokens: prediction.completionTokens + step.completionTokens,
  };
}

async function predictRoute(routed: Omit<ProgramSpec, 'router'>, signature: Signature, validInputs: Fields, lm: LM, opts: PredictOptions): Promise<Prediction> {
  if (!routed.knn) return predictVoters(routed, signature, validInputs, lm, opts);
  const started = performance.now();
  let demos;
  try {
    demos = await nearestFor(routed.knn, signature, validInputs, lm);
  } catch (err) {
    return lmFailure(err, performance.now() - started);
  }
  const embedMs = performance.now() - started;
  const prediction = await predictVoters({ ...routed, demos }, signature, validInputs, lm, opts);
  return { ...prediction, latencyMs: prediction.latencyMs + embedMs };
}

/** The demos of a KNN program for one request: its inputs embedded by the LM, the nearest pool demos. */
async function nearestFor(knn: NonNullable<ProgramSpec['knn']>, signature: Signature, inputs: Fields, lm: LM) {
  if (!lm.embed) throw new Error(`A KNN program needs an LM that can embed (the embedded model, or an endpoint with /v1/embeddings); ${lm.id} cannot`);
  const [vector] = await lm.embed([knnText(inputs, signature.inputs.map((f) => f.name))]);
  if (!vector) throw new Error(`${lm.id} returned no embedding`);
  return nearestDemos(knn, vector);
}

async function predictVoters(program: ProgramSpec, signature: Signature, validInputs: Fields, lm: LM, opts: PredictOptions): Promise<Prediction> {
  if (!program.ensemble) return predictOne(program, signature, validInputs, lm, opts);
  // Voters run one after another: on the embedded model they share one sequence anyway.
  const { ensemble, ...first } = program;
  const votes: Prediction[] = [];
  for (const member of [first, ...ensemble.members]) votes.push(await predictOne({ ...member, signature: program.signature }, signature, validInputs, lm, opts));
  return majorityVote(votes);
}

function lmFailure(err: unknown, latencyMs: number): Prediction {
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { kind: 'lm', message, retryable: isRetryable(err) }, latencyMs, cached: false, promptTokens: 0, completionTokens: 0 };
}

async function predictOne(program: ProgramSpec, signature: Signature, validInputs: Fields, lm: LM, opts: PredictOptions): Promise<Prediction> {
  const adapter = getAdapter(program.adapter);
  const messages = adapter.format(program, validInputs);
  const options: CompletionOptions = {
    temperature: opts.temperature ?? program.lm.temperature,
    maxTokens: program.lm.maxTokens,
  };
  if (opts.rolloutId !== undefined) options.rolloutId = opts.rolloutId;
  const choices = soleEnumChoices(signature);
  if (choices) options.choices = choices;
  const calibration = choices && program.calibration;
  if (calibration) options.scoreChoices = true;

  const started = performance.now();
  let completion;
  try {
    completion = await lm.complete(messages, options);
  } catch (err) {
    return lmFailure(err, performance.now() - started);
  }
  const meta = {
    raw: completion.text,
    latencyMs: completion.latencyMs,
    cached: completion.cached,
    promptTokens: completion.usage.promptTokens,
    completionTokens: completion.usage.completionTokens,
  };
  if (calibration) {
    const label = completion.choiceLogProbs && calibratedChoice(choices, completion.choiceLogProbs, calibration);
    if (label === undefined) {
      return { ok: false, error: { kind: 'lm', message: `A calibrated program needs an LM that reports label probabilities (the embedded model, or an OpenAI-compatible endpoint that returns logprobs naming every label); ${lm.id} did not`, retryable: false }, ...meta };
    }
    return { ok: true, outputs: { [signature.outputs[0]?.name as string]: label }, ...meta };
  }
  const parsed = adapter.parse(signature, completion.text);
  return parsed.ok ? { ok: true, outputs: parsed.outputs, ...meta } : { ok: false, error: { kind: 'parse', message: parsed.message }, ...meta };
}

/** LMError (core/lm/errors.ts) carries `retryable`; read duck-typed so any provider's error can say so. */
function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}
