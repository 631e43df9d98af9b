/**
 * The task spec: the plain JSON a user passes to `temporal workflow start --input-file`. Pure (zod
 * only) because workflows validate it inside the Temporal sandbox and fail fast with a message
 * that names the field.
 */
import { z } from 'zod';
import { metricSpecSchema } from './metrics';
import { OPTIMIZER_NAMES, recommendedOptimizer } from './optimizers/recommended';
import { parseSignature, type FieldSpec } from './signature';
import { DEFAULT_RULE } from './stats/decision';
import { MEASURE_NAMES } from './stats/measures';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as milliseconds or a string like "90s", "10m", "24h". */
export const durationSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration like "30s", "10m" or "24h"')])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v) as RegExpExecArray;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

/** The largest whole unit that writes ms exactly: 90000 → "90s", 3600000 → "1h". */
export function formatDuration(ms: number): string {
  const units = Object.entries(UNIT_MS).reverse();
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

/**
 * Where labelled examples come from: inline, or a JSON/JSONL file (`npm:<package>/<file>` resolves
 * inside an installed package) whose keys are mapped onto the signature's fields.
 */
export const datasetRefSchema = z.union([
  z.object({
    examples: z.array(z.object({ id: z.string().optional(), inputs: z.record(z.string(), z.unknown()), outputs: z.record(z.string(), z.unknown()) })).min(1),
  }),
  z.object({
    path: z.string().min(1),
    inputs: z.record(z.string(), z.string()),
    outputs: z.record(z.string(), z.string()),
    /** Raw label value → enum label, e.g. {"0": "negative", "1": "positive"}. */
    labels: z.record(z.string(), z.string()).optional(),
    /** Shuffle the rows with this seed before offset/limit, so slices are stratified-ish and fixed. */
    shuffleSeed: z.number().int().optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().positive().optional(),
  }),
]);

/** An endpoint's base URL: http or https only (`localhost:8080` without a scheme is an error, not a guess). */
export const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as "http://127.0.0.1:8080/v1"' });

/** Default and ceiling of a feedback record's size: a record must always fit one activity payload with room to spare. */
export const DEFAULT_FEEDBACK_BYTES = 64 * 1024;
/** Examples per evaluation shard: enough that an activity's overhead is noise, few enough to spread. */
export const DEFAULT_EVAL_SHARD_SIZE = 50;
export const MAX_FEEDBACK_BYTES = 1_000_000;
/** Signals one learner run takes before it continues as new: half of Temporal's default per-run signal limit (10,000). */
export const DEFAULT_SIGNALS_PER_RUN = 5_000;

export const limitsSchema = z.object({
  /** Bytes of a feedback record's fields (input, predicted, correct) as UTF-8 JSON; larger feedback is refused. */
  feedbackBytes: z.number().int().min(1_024).max(MAX_FEEDBACK_BYTES).default(DEFAULT_FEEDBACK_BYTES),
  /**
   * Signals one learner run takes before it continues as new. Keep it under the server's
   * `history.maximumSignalsPerExecution`: under a flood a run can only close once the server refuses
   * more signals (see docs/WORKFLOWS.md, "Overload").
   */
  signalsPerRun: z.number().int().min(10).max(1_000_000).default(DEFAULT_SIGNALS_PER_RUN),
});

/** The A/B gate's thresholds; the defaults are the decision rule's own (`DEFAULT_RULE`). */
export const gateSchema = z.object({
  minImprovement: z.number().min(0).max(1).default(DEFAULT_RULE.minImprovement),
  maxLatencyIncreaseMs: z.number().min(0).default(DEFAULT_RULE.maxLatencyIncreaseMs),
  maxAccuracyDrop: z.number().min(0).max(1).default(DEFAULT_RULE.maxAccuracyDrop),
  rejectLatencyIncreaseMs: z.number().min(0).default(DEFAULT_RULE.rejectLatencyIncreaseMs),
  alpha: z.number().gt(0).lt(1).default(DEFAULT_RULE.alpha),
  /**
   * What the gate compares on (default: mean score for token_f1, else accuracy). The thresholds above
   * are in points of this measure.
   */
  measure: z.object({ name: z.enum(MEASURE_NAMES), label: z.string().min(1).optional() }).optional(),
  /** Refuse any candidate whose recall of `label` on the holdout is under `min`, whatever else it gains. */
  recallFloor: z.object({ label: z.string().min(1), min: z.number().gt(0).max(1) }).optional(),
});

export const taskSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes'),
    signature: z.string().min(1),
    instructions: z.string().default(''),
    adapter: z.enum(['chat', 'completion']).default('chat'),
    /** A built-in metric or one registered with the worker by name (`KKACHI_METRICS_MODULE`). */
    metric: metricSpecSchema,
    lm: z.object({
      provider: z.enum(['openai', 'local']).default('openai'),
      model: z.string().min(1),
      baseURL: httpUrlSchema.optional(),
      temperature: z.number().min(0).max(2).default(0),
      maxTokens: z.number().int().positive().default(256),
    }),
    /** Absent: Kkachi's recommended optimizer for the task (optimizers/recommended.ts). */
    optimizer: z
      .object({
        name: z.enum(OPTIMIZER_NAMES),
        config: z.record(z.string(), z.unknown()).default({}),
        seed: z.number().int().default(0),
      })
      .optional(),
    data: z.object({
      /** Labelled examples the task starts with; corrections are added to them each cycle. */
      train: datasetRefSchema,
      /** The held-out evaluation set: never trained on, used by the gate and the final evaluation. */
      holdout: datasetRefSchema,
      valFraction: z.number().gt(0).lt(1).default(0.3),
    }),
    triggers: z
      .object({
        corrections: z.number().int().positive().default(3),
        retrainInterval: durationSchema.default(86_400_000),
        accuracyFloor: z.number().min(0).max(1).optional(),
        minLiveSamples: z.number().int().positive().default(20),
      })
      .default({ corrections: 3, retrainInterval: 86_400_000, minLiveSamples: 20 }),
    gate: gateSchema.default(DEFAULT_RULE),
    limits: limitsSchema.default({ feedbackBytes: DEFAULT_FEEDBACK_BYTES, signalsPerRun: DEFAULT_SIGNALS_PER_RUN }),
    /**
     * A split larger than `shardSize` examples is evaluated in chunks of that size, run as parallel
     * activities any worker may take, then joined into one report. Absent: DEFAULT_EVAL_SHARD_SIZE.
     */
    evaluation: z.object({ shardSize: z.number().int().min(1).max(100_000) }).optional(),
    monitoring: z
      .object({
        window: durationSchema.default(3_600_000),
        minSamples: z.number().int().positive().default(10),
        /** Roll back when live accuracy falls more than this below the gate's measured accuracy. */
        tolerance: z.number().min(0).max(1).default(0.1),
        /**
         * With fewer than minSamples records at the end of the window, keep watching until they arrive,
         * up to this long after the promotion. Absent: the window ends on time ("promoted without live evidence").
         */
        maxWindow: durationSchema.optional(),
      })
      .default({ window: 3_600_000, minSamples: 10, tolerance: 0.1 }),
    /**
     * Live canary after the gate says promote: the candidate first serves `share` of traffic (sticky by
     * key) for `window`; then an unpaired two-proportion test on each arm's feedback plus the gate's
     * latency reject limit decide between promoting to 100% and rolling back. Absent: promote at once.
     */
    canary: z
      .object({
        share: z.number().gt(0).lt(1),
        window: durationSchema,
        /** Feedback records each arm needs before the test may roll the canary back. */
        minSamples: z.number().int().positive().default(20),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const { window, maxWindow } = spec.monitoring;
    if (maxWindow !== undefined && maxWindow < window) {
      ctx.addIssue({ code: 'custom', path: ['monitoring', 'maxWindow'], message: `must be at least monitoring.window (${formatDuration(window)})` });
    }
    let fields: FieldSpec[];
    try {
      fields = parseSignature(spec.signature).outputs;
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['signature'], message: (err as Error).message });
      return;
    }
    const outputs = fields.map((f) => f.name);
    if (spec.metric.field !== undefined && !outputs.includes(spec.metric.field)) {
      ctx.addIssue({ code: 'custom', path: ['metric', 'field'], message: `"${spec.metric.field}" is not an output field of the signature (${outputs.join(', ')})` });
      return;
    }
    const { measure, recallFloor } = spec.gate;
    if (measure?.name === 'recall' && measure.label === undefined) {
      ctx.addIssue({ code: 'custom', path: ['gate', 'measure', 'label'], message: 'the recall measure needs the label whose recall it compares' });
    }
    // A label the scored field cannot take would make recall undefined: catch the typo here.
    const choices = fields.find((f) => f.name === (spec.metric.field ?? outputs[0]))?.choices;
    const checkLabel = (label: string | undefined, path: string[]) => {
      if (label !== undefined && choices && !choices.some((c) => c.toLowerCase() === label.trim().toLowerCase())) {
        ctx.addIssue({ code: 'custom', path, message: `"${label}" is not a label of the scored field (${choices.join(', ')})` });
      }
    };
    checkLabel(measure?.label, ['gate', 'measure', 'label']);
    checkLabel(recallFloor?.label, ['gate', 'recallFloor', 'label']);
  })
  .transform((spec) => ({ ...spec, optimizer: spec.optimizer ?? recommendedOptimizer(spec.signature) }));

export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;
export type DatasetRef = z.output<typeof datasetRefSchema>;

/** Validates a task spec; the error message names every offending field, e.g. `lm.model: Required`. */
export function parseTaskSpec(input: unknown): TaskSpec {
  const result = taskSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
  throw new TaskSpecError(`Invalid task spec: ${detail}`);
}

export class TaskSpecError extends Error {
  override name = 'TaskSpecError';
}
