/**
 * Optimizers on the embedded model, on several real labelled sets: zero-shot, DSPy's BootstrapFewShot
 * as DSPy configures it, the same with label-balanced demos, Kkachi's recommended configuration
 * (what a spec without an optimizer gets), DSPy's Ensemble of that search's best three, KNNFewShot against as many fixed demos, and Routing by a
 * source field (and by a classifier, for requests whose source names no route) against one program, each scored on held-out rows by macro-F1, accuracy and the
 * largest over-answer ratio (a label's share of the answers ÷ its true share), with the median
 * latency of a test prediction (KNN's per-request demos cannot reuse a shared prompt prefix).
 * Run: see docs/BENCHMARKS.md ("Optimizers on small models").
 */
import * as os from 'node:os';
import { evaluate, type EvalReport } from '../src/core/evaluate';
import { createLocalLM } from '../src/core/lm/local';
import { disposeLocalRuntimes } from '../src/core/lm/local-runtime';
import type { LM } from '../src/core/lm/types';
import { modelsDir } from '../src/models/location';
import { labelAccuracy } from '../src/core/metrics';
import { createOptimizer, recommendedOptimizer } from '../src/core/optimizers';
import { createProgram, type ProgramSpec } from '../src/core/program';
import { createRng } from '../src/core/random';
import { classificationSummary } from '../src/core/stats/classification';
import type { Example } from '../src/core/types';
import { arg, bySource, sentences, tweets, type DataSet } from './datasets';

/** macro-F1, accuracy, and the largest answer share ÷ true share over the labels. */
function scoreOf(report: EvalReport, set: readonly Example[], labels: string[]) {
  const pairs = report.rows.map((r, i) => ({ gold: String(set[i]?.outputs.sentiment), predicted: r.outputs ? String(r.outputs.sentiment) : null }));
  const summary = classificationSummary(pairs, labels);
  const overAnswer = Math.max(...summary.perLabel.filter((l) => l.support > 0).map((l) => l.predicted / l.support));
  return { macroF1: summary.macroF1, accuracy: summary.accuracy, overAnswer };
}

/** Demos a prediction sees: KNN's k per request, per route for a router, per voter for an ensemble. */
function demosOf(program: ProgramSpec): string {
  if (program.knn) return `${program.knn.k} of ${program.knn.pool.length}`;
  if (program.ensemble) return [program, ...program.ensemble.members].map((voter) => voter.demos.length).join(' + ');
  if (program.router) {
    const routes = Object.entries(program.router.routes).map(([value, route]) => `${value} ${route.demos.length}`);
    return [...routes, ...(program.router.classifier ? [`classifier ${program.router.classifier.demos.length}`] : [])].join(', ');
  }
  return String(program.demos.length);
}

/** Whether a program's answers are calibrated: per voter for an ensemble. */
function calibrated(program: ProgramSpec): string {
  const voters = [program, ...(program.ensemble?.members ?? [])];
  return voters.map((voter) => (voter.calibration ? 'yes' : 'no')).join(' + ');
}

async function main() {
  const model = arg('model', 'smollm2-135m');
  const nTest = Number(arg('test', '100'));
  const nTrain = Number(arg('train', '40'));
  const nVal = Number(arg('val', '30'));
  const only = arg('only', '');
  const lm: LM = await createLocalLM({ model, modelsDir: modelsDir() });
  const loaders: Record<string, () => DataSet | undefined> = { amazon: () => sentences('amazon'), imdb: () => sentences('imdb'), yelp: () => sentences('yelp'), tweets, 'by-source': bySource };
  const which = arg('set', 'amazon,tweets').split(',');
  const sets = which.map((name) => {
    const load = loaders[name];
    if (!load) throw new Error(`--set ${name}: one of ${Object.keys(loaders).join(', ')}`);
    return load();
  }).filter((s): s is DataSet => s !== undefined);
  console.log(`# ${new Date().toISOString()} ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}; model ${model}; train ${nTrain}, val ${nVal}, test ${nTest}`);
  console.log('| data | optimizer | test macro-F1 | accuracy | max over-answer | demos | calibrated | compile predictions | compile s | test p50 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const set of sets) {
    const shuffled = createRng(7).shuffle(set.rows);
    const test = shuffled.slice(0, nTest);
    const trainset = shuffled.slice(nTest, nTest + nTrain);
    const valset = shuffled.slice(nTest + nTrain, nTest + nTrain + nVal);
    const metric = labelAccuracy('sentiment');
    const student = createProgram(set.signature, '', { adapter: 'completion', lm: { maxTokens: 16 } });
    const valScore = (report: EvalReport) => scoreOf(report, valset, set.labels).macroF1;
    // A run's optional third element: the test rows it is scored on (default `test`).
    const runs: [string, () => Promise<{ program: ProgramSpec; calls: number }>, Example[]?][] = [
      ['zero-shot', async () => ({ program: student, calls: 0 })],
      ['BootstrapFewShot (DSPy defaults)', () => compileWith({ name: 'BootstrapFewShot' })],
      ['BootstrapFewShot + balanceLabels', () => compileWith({ name: 'BootstrapFewShot', config: { balanceLabels: true } })],
      ['recommended (no optimizer in the spec)', () => compileWith(recommendedOptimizer(set.signature))],
      [
        'random search, 16 labelled demos, balanceLabels + calibrate',
        () => compileWith({ name: 'BootstrapFewShotWithRandomSearch', config: { numCandidatePrograms: 4, maxLabeledDemos: 16, balanceLabels: true, calibrate: true } }),
      ],
      // DSPy's Ensemble over the recommended search: its best 3 candidates with distinct prompts vote on every input.
      ['Ensemble of the recommended search, size 3', () => compileWith({ name: 'Ensemble', config: { ...recommendedOptimizer(set.signature).config, size: 3 } })],
      ['LabeledFewShot k=4 (fixed demos)', () => compileWith({ name: 'LabeledFewShot', config: { k: 4 } })],
      ['KNNFewShot k=4', () => compileWith({ name: 'KNNFewShot', config: { k: 4 } })],
    ];
    const routeField = set.routeField;
    // Test rows whose domain field names no route (a new or blank source): only a classifier can route them.
    const unrouted = routeField ? test.map((e) => ({ ...e, inputs: { ...e.inputs, [routeField]: 'unknown' } })) : test;
    if (routeField) {
      const routing = (classifier?: object) => compileWith({ name: 'Routing', config: { field: routeField, optimizer: { name: 'BootstrapFewShot', config: {} }, ...(classifier && { classifier }) } });
      let byField: ReturnType<typeof routing> | undefined; // one compile, scored on both test sets
      runs.push(['Routing by source, BootstrapFewShot per source', () => (byField ??= routing())]);
      runs.push([`Routing by source, ${routeField} "unknown" at test`, () => (byField ??= routing()), unrouted]);
      runs.push([`Routing by source + classifier (LabeledFewShot k=8 balanced), ${routeField} "unknown" at test`, () => routing({}), unrouted]);
    }
    async function compileWith(choice: { name: string; config?: unknown }) {
      const result = await createOptimizer(choice).compile(student, { trainset, valset, lm, metric, seed: 0, score: valScore });
      const vote = result.candidates.find((c) => c.label.startsWith('ensemble of'));
      if (vote) console.log(`# ${vote.label} (validation score ${vote.score.toFixed(3)})`);
      return { program: result.program, calls: result.usage?.predictions ?? 0 };
    }
    for (const [name, run, rows = test] of runs) {
      if (only && !only.split(',').some((o) => name.includes(o))) continue;
      const started = performance.now();
      const { program, calls } = await run();
      const compileS = (performance.now() - started) / 1000;
      const report = await evaluate(program, rows, { lm, metric, concurrency: 1 });
      const s = scoreOf(report, rows, set.labels);
      console.log(
        `| ${set.name} | ${name} | ${s.macroF1.toFixed(3)} | ${(s.accuracy * 100).toFixed(1)}% | ${s.overAnswer.toFixed(2)}× | ${demosOf(program)} | ${calibrated(program)} | ${calls} | ${compileS.toFixed(0)} | ${report.latency.p50.toFixed(0)} |`,
      );
    }
  }
  await disposeLocalRuntimes();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
