/**
 * Routing: one program per domain, each compiled by its own optimizer on that domain's examples,
 * behind a router that dispatches by a request field (router.ts). The whole trainset also compiles
 * the router's own prompt, which answers domains without a route (too few examples, or unseen).
 */
import { z } from 'zod';
import { parseOrThrow, ValidationError } from '../errors';
import type { ProgramSpec } from '../program';
import { routerOf } from '../router';
import { parseSignature } from '../signature';
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
    const choices = { optimizer: this.config.optimizer, ...Object.fromEntries(Object.entries(this.config.routes).map(([value, c]) => [`routes.${value}`, c])) };
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
    const run = async (label: string, choice: { name: string; config: Record<string, unknown> }, trainset: readonly Example[], valset: readonly Example[] | undefined) => {
      const result = await this.create(choice).compile(student, { ...ctx, trainset, valset, seed: deriveSeed(ctx.seed, label) });
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
      const valset = ctx.valset?.filter((e) => domainOf(e) === domain);
      compiled[domain] = await run(`route ${domain}`, routes[domain] ?? optimizer, trainset, valset && valset.length > 0 ? valset : undefined);
    }
    return { program: routerOf(field, fallback, compiled), candidates, traces, usage };
  }
}
