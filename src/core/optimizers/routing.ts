/**
 * Routing: one program per domain, each compiled by its own optimizer on that domain's examples,
 * behind a router that dispatches by a request field (router.ts). The whole trainset also compiles
 * the router's own prompt, which answers domains without a route (too few examples, or unseen).
 * With `classifier`, a small program also learns to name the domain from the other inputs, so a
 * request whose field names no route (blank, mistyped, a new source) still reaches its domain's route.
 */
import { z } from 'zod';
import { parseOrThrow, ValidationError } from '../errors';
import { labelAccuracy, type Metric } from '../metrics';
import { createProgram, type ProgramSpec } from '../program';
import { routerOf } from '../router';
import { parseSignature, SignatureError } from '../signature';
import type { Example } from '../types';
import { OPTIMIZER_NAMES } from './recommended';
import { addUsage, deriveSeed, emptyUsage, type CandidateSummary, type CompileContext, type OptimizeResult, type Optimizer } from './types';

/** An optimizer a route may use: any but Routing itself (routes are single programs). */
const routeOptimizerSchema = z.strictObject({
  name: z.enum(OPTIMIZER_NAMES.filter((n) => n !== 'Routing') as [string, ...string[]]),
  config: z.record(z.string(), z.unknown()).default({}),
});

export const routingConfigSchema = z.strictObject({
  /** The input field whose value names the domain. */
  field: z.string().min(1),
  /** What compiles every program unless `routes` names another for its domain. */
  optimizer: routeOptimizerSchema.default({ name: 'BootstrapFewShot', config: {} }),
  /** Per-domain optimizers, by the field's value. */
  routes: z.record(z.string(), routeOptimizerSchema).default({}),
  /** A domain with fewer training examples gets no route of its own: the router's prompt answers it. */
  minExamples: z.number().int().min(1).default(4),
  /**
   * Also route by a classifier `<other inputs> -> <field>: <routed domains>`, compiled by `optimizer`
   * on the routed domains' examples (needs two routes or more); absent: by the field alone.
   */
  classifier: z
    .strictObject({
      // Optimizers that compile one plain prompt, what a router's classifier is.
      optimizer: z
        .strictObject({ name: z.enum(['LabeledFewShot', 'BootstrapFewShot', 'BootstrapFewShotWithRandomSearch']), config: z.record(z.string(), z.unknown()).default({}) })
        .default({ name: 'LabeledFewShot', config: { k: 8, balanceLabels: true } }),
      instructions: z.string().optional(),
    })
    .optional(),
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;

type OptimizerFactory = (choice: { name: string; config?: unknown }) => Optimizer;

export class Routing implements Optimizer<RoutingConfig> {
  readonly name = 'Routing';
  readonly config: RoutingConfig;

  /** `create` builds the routes' optimizers (index.ts passes `createOptimizer`). */
  constructor(
    config: unknown,
    private readonly create: OptimizerFactory,
  ) {
    this.config = parseOrThrow(routingConfigSchema, config, 'config');
    // A bad route optimizer config fails now, naming its place (`config.routes.B.config.k`), not mid-compile.
    const classifier = this.config.classifier ? { 'classifier.optimizer': this.config.classifier.optimizer } : {};
    const choices = { optimizer: this.config.optimizer, ...classifier, ...Object.fromEntries(Object.entries(this.config.routes).map(([value, c]) => [`routes.${value}`, c])) };
    for (const [path, choice] of Object.entries(choices)) {
      try {
        create(choice);
      } catch (err) {
        throw err instanceof ValidationError ? new ValidationError(`config.${path}.${err.field}`, err.message) : err;
      }
    }
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { field, optimizer, routes, minExamples } = this.config;
    const inputs = parseSignature(student.signature).inputs.map((f) => f.name);
    if (!inputs.includes(field)) throw new ValidationError('config.field', `Routing field "${field}" is not an input of the signature (${inputs.join(', ')})`);
    const domainOf = (e: Example) => (e.inputs[field] === undefined ? undefined : String(e.inputs[field]));
    const usage = emptyUsage();
    let traces = 0;
    const candidates: CandidateSummary[] = [];
    const run = async (label: string, choice: { name: string; config: Record<string, unknown> }, trainset: readonly Example[], valset: readonly Example[] | undefined, classify?: { program: ProgramSpec; metric: Metric }) => {
      // A valset without examples of this domain leaves the optimizer its default (the trainset).
      const own = valset && valset.length > 0 ? valset : undefined;
      // The classifier answers another question: the task's measure and teacher do not apply to it.
      const task = classify ? { metric: classify.metric, score: undefined, teacher: undefined } : {};
      const result = await this.create(choice).compile(classify?.program ?? student, { ...ctx, ...task, trainset, valset: own, seed: deriveSeed(ctx.seed, label) });
      traces += result.traces;
      if (result.usage) addUsage(usage, result.usage);
      candidates.push(...result.candidates.map((c) => ({ ...c, label: `${label}: ${c.label}` })));
      return result.program;
    };

    const fallback = await run('all domains', optimizer, ctx.trainset, ctx.valset);
    const domains = [...new Set(ctx.trainset.map(domainOf))].filter((d): d is string => d !== undefined);
    const compiled: Record<string, ProgramSpec> = {};
    for (const domain of domains) {
      const trainset = ctx.trainset.filter((e) => domainOf(e) === domain);
      if (trainset.length < minExamples) continue;
      compiled[domain] = await run(`route ${domain}`, routes[domain] ?? optimizer, trainset, ctx.valset?.filter((e) => domainOf(e) === domain));
    }
    const domainExamples = (examples: readonly Example[]) => examples.filter((e) => compiled[domainOf(e) as string]).map((e) => asDomainExample(e, field));
    const classifier = this.config.classifier && Object.keys(compiled).length >= 2
      ? await run('classifier', this.config.classifier.optimizer, domainExamples(ctx.trainset), ctx.valset && domainExamples(ctx.valset), {
          program: classifierStudent(inputs, field, Object.keys(compiled), this.config.classifier.instructions),
          metric: labelAccuracy(field),
        })
      : undefined;
    return { program: routerOf(classifier ? { field, classifier } : { field }, fallback, compiled), candidates, traces, usage };
  }
}

/** The classifier to compile: the other inputs name the field's domain, one of the routed ones. */
function classifierStudent(inputs: readonly string[], field: string, domains: readonly string[], instructions?: string): ProgramSpec {
  const others = inputs.filter((name) => name !== field);
  if (others.length === 0) throw new ValidationError('config.classifier', `a classifier reads the inputs other than "${field}", and the signature has none`);
  try {
    return createProgram(`${others.join(', ')} -> ${field}: ${domains.join('|')}`, instructions ?? `Name the ${field} of the request.`);
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    throw new ValidationError('config.classifier', `the classifier answers with the ${field} values as labels, and ${domains.map((d) => JSON.stringify(d)).join(', ')} are not all usable as labels (${err.message})`);
  }
}

/** An example for the classifier: its other inputs, its domain as the answer. */
function asDomainExample(example: Example, field: string): Example {
  const { [field]: domain, ...others } = example.inputs;
  return { id: example.id, inputs: others, outputs: { [field]: String(domain) } };
}
