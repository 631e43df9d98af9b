/**
 * Kkachi on a peer task, over the same HTTP endpoint as the peers: its completion adapter (the
 * small-model default), zero-shot once, then BootstrapFewShot with DSPy's semantics and the optimizer
 * a task spec without one gets (`recommendedOptimizer`), each scored on the test rows.
 */
import { evaluate, type EvalReport } from '../../src/core/evaluate';
import { createLM } from '../../src/core/lm/factory';
import { labelAccuracy, tokenF1, type Metric } from '../../src/core/metrics';
import { createOptimizer, recommendedOptimizer } from '../../src/core/optimizers';
import { createProgram, type ProgramSpec } from '../../src/core/program';
import { classificationSummary } from '../../src/core/stats/classification';
import type { MeteredLM } from '../../src/core/lm/usage';
import type { Example } from '../../src/core/types';
import { kkachiSignature, type PeerTask } from './tasks';
import type { CompilePhase, SystemRun, TestPhase } from './systems';

export interface KkachiOptions {
  maxTokens: number;
  maxDemos: number;
  seed: number;
  /** The proxy's base URL for a meter name. */
  baseURL: (meter: string) => string;
  model: string;
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** An uncached LM on one proxy meter, so each phase's calls are counted where they happen. */
const lmFor = (opts: KkachiOptions, meter: string): Promise<MeteredLM> =>
  createLM({ provider: 'openai', model: opts.model, baseURL: opts.baseURL(meter) }, { cacheDir: null });

/** The task's measure of a report: macro-F1 for labels (so a one-label program loses), else the mean score. */
function measure(task: PeerTask): ((report: EvalReport) => number) | undefined {
  const { labels, output } = task;
  if (!labels) return undefined;
  return (report) =>
    classificationSummary(
      report.rows.map((r) => ({ gold: String(r.expected?.[output] ?? ''), predicted: r.outputs ? String(r.outputs[output]) : null })),
      labels,
    ).macroF1;
}

async function testPhase(program: ProgramSpec, task: PeerTask, metric: Metric, lm: MeteredLM): Promise<TestPhase> {
  const started = performance.now();
  // maxErrors 0: an endpoint failure aborts the benchmark; an unparsed reply just has no answer.
  const report = await evaluate(program, task.test, { lm, metric, concurrency: 1, maxErrors: 0 });
  return { seconds: seconds(started), predictions: report.rows.map((r) => (r.outputs ? String(r.outputs[task.output]) : null)) };
}

export async function runKkachi(task: PeerTask, opts: KkachiOptions): Promise<SystemRun[]> {
  const signature = kkachiSignature(task);
  const metric = task.labels ? labelAccuracy(task.output) : tokenF1(task.output);
  const student = createProgram(signature, '', { adapter: 'completion', lm: { maxTokens: opts.maxTokens } });
  const zeroMeter = `${task.name}.kkachi.zero-shot`;
  const zeroShot = await testPhase(student, task, metric, await lmFor(opts, zeroMeter));
  const choices = [
    { optimizer: 'BootstrapFewShot', key: 'kkachi-bfs', choice: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: opts.maxDemos, maxLabeledDemos: opts.maxDemos } } },
    { optimizer: 'recommended', key: 'kkachi-recommended', choice: recommendedOptimizer(signature) },
  ];
  const runs: SystemRun[] = [];
  for (const { optimizer, key, choice } of choices) {
    const meters = { zeroShot: zeroMeter, compile: `${task.name}.${key}.compile`, optimized: `${task.name}.${key}.optimized` };
    const started = performance.now();
    const result = await createOptimizer(choice).compile(student, {
      trainset: task.train as Example[],
      lm: await lmFor(opts, meters.compile),
      metric,
      seed: opts.seed,
      ...(measure(task) ? { score: measure(task) } : {}),
    });
    const best = result.candidates[0];
    const compile: CompilePhase = {
      seconds: seconds(started),
      demos: result.program.demos.length,
      ...(best ? { note: `chose ${best.label} (${result.candidates.length} candidates scored on the train rows)` } : {}),
    };
    const optimized = await testPhase(result.program, task, metric, await lmFor(opts, meters.optimized));
    const how = optimizer === 'recommended' ? `${choice.name} ${JSON.stringify(choice.config)}` : `DSPy semantics, ${opts.maxDemos}+${opts.maxDemos} demos`;
    runs.push({ system: 'Kkachi', optimizer, how: `completion adapter; ${how}`, meters, zeroShot, compile, optimized });
  }
  return runs;
}
