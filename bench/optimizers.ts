/**
 * Optimizers on the embedded model, on several real labelled sets: zero-shot, DSPy's BootstrapFewShot
 * as DSPy configures it, the same with label-balanced demos, and Kkachi's recommended configuration
 * (what a spec without an optimizer gets), each scored on held-out rows by macro-F1, accuracy and the
 * largest over-answer ratio (a label's share of the answers ÷ its true share).
 * Run: see docs/BENCHMARKS.md ("Optimizers on small models").
 */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { evaluate, type EvalReport } from '../src/core/evaluate';
import { createLocalLM } from '../src/core/lm/local';
import { disposeLocalRuntimes } from '../src/core/lm/local-runtime';
import type { LM } from '../src/core/lm/types';
import { labelAccuracy } from '../src/core/metrics';
import { createOptimizer, recommendedOptimizer } from '../src/core/optimizers';
import { createProgram, type ProgramSpec } from '../src/core/program';
import { createRng } from '../src/core/random';
import { classificationSummary } from '../src/core/stats/classification';
import type { Example } from '../src/core/types';

interface DataSet {
  name: string;
  signature: string;
  labels: string[];
  rows: Example[];
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};

function amazon(): DataSet {
  const raw = JSON.parse(readFileSync(require.resolve('sentiment/test/fixtures/amazon.json'), 'utf8')) as { text: string; class: number | null }[];
  const rows = raw
    .filter((r) => r.text.trim() !== '' && r.class !== null)
    .map((r, i) => ({ id: `amazon-${i}`, inputs: { text: r.text.trim() }, outputs: { sentiment: r.class === 1 ? 'positive' : 'negative' } }));
  return { name: 'amazon reviews (2-class, npm sentiment@5.0.2)', signature: 'text -> sentiment: positive|negative', labels: ['positive', 'negative'], rows };
}

function tweets(): DataSet | undefined {
  const path = arg('tweets', '../shared/data/tweeteval-sentiment-val.jsonl');
  if (!existsSync(path)) {
    console.error(`${path} is absent: the tweet rows are skipped (--tweets PATH)`);
    return undefined;
  }
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const r = JSON.parse(line) as { text: string; label: string };
      return { id: `tweet-${i}`, inputs: { text: r.text }, outputs: { sentiment: r.label } };
    });
  return { name: 'TweetEval sentiment (3-class)', signature: 'text -> sentiment: negative|neutral|positive', labels: ['negative', 'neutral', 'positive'], rows };
}

/** macro-F1, accuracy, and the largest answer share ÷ true share over the labels. */
function scoreOf(report: EvalReport, set: readonly Example[], labels: string[]) {
  const pairs = report.rows.map((r, i) => ({ gold: String(set[i]?.outputs.sentiment), predicted: r.outputs ? String(r.outputs.sentiment) : null }));
  const summary = classificationSummary(pairs, labels);
  const overAnswer = Math.max(...summary.perLabel.filter((l) => l.support > 0).map((l) => l.predicted / l.support));
  return { macroF1: summary.macroF1, accuracy: summary.accuracy, overAnswer };
}

async function main() {
  const model = arg('model', 'smollm2-135m');
  const nTest = Number(arg('test', '100'));
  const nTrain = Number(arg('train', '40'));
  const nVal = Number(arg('val', '30'));
  const only = arg('only', '');
  const lm: LM = await createLocalLM({ model });
  const which = arg('set', 'all');
  const sets = [which !== 'tweets' ? amazon() : undefined, which !== 'amazon' ? tweets() : undefined].filter((s): s is DataSet => s !== undefined);
  console.log(`# ${new Date().toISOString()} ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}; model ${model}; train ${nTrain}, val ${nVal}, test ${nTest}`);
  console.log('| data | optimizer | test macro-F1 | accuracy | max over-answer | demos | calibrated | compile predictions | compile s |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const set of sets) {
    const shuffled = createRng(7).shuffle(set.rows);
    const test = shuffled.slice(0, nTest);
    const trainset = shuffled.slice(nTest, nTest + nTrain);
    const valset = shuffled.slice(nTest + nTrain, nTest + nTrain + nVal);
    const metric = labelAccuracy('sentiment');
    const student = createProgram(set.signature, '', { adapter: 'completion', lm: { maxTokens: 16 } });
    const valScore = (report: EvalReport) => scoreOf(report, valset, set.labels).macroF1;
    const runs: [string, (() => Promise<{ program: ProgramSpec; calls: number }>)][] = [
      ['zero-shot', async () => ({ program: student, calls: 0 })],
      ['BootstrapFewShot (DSPy defaults)', () => compileWith({ name: 'BootstrapFewShot' })],
      ['BootstrapFewShot + balanceLabels', () => compileWith({ name: 'BootstrapFewShot', config: { balanceLabels: true } })],
      ['recommended (no optimizer in the spec)', () => compileWith(recommendedOptimizer(set.signature))],
      [
        'random search, 16 labelled demos, balanceLabels + calibrate',
        () => compileWith({ name: 'BootstrapFewShotWithRandomSearch', config: { numCandidatePrograms: 4, maxLabeledDemos: 16, balanceLabels: true, calibrate: true } }),
      ],
    ];
    async function compileWith(choice: { name: string; config?: unknown }) {
      const result = await createOptimizer(choice).compile(student, { trainset, valset, lm, metric, seed: 0, score: valScore });
      return { program: result.program, calls: result.usage?.predictions ?? 0 };
    }
    for (const [name, run] of runs) {
      if (only && !name.includes(only)) continue;
      const started = performance.now();
      const { program, calls } = await run();
      const compileS = (performance.now() - started) / 1000;
      const report = await evaluate(program, test, { lm, metric, concurrency: 1 });
      const s = scoreOf(report, test, set.labels);
      console.log(
        `| ${set.name} | ${name} | ${s.macroF1.toFixed(3)} | ${(s.accuracy * 100).toFixed(1)}% | ${s.overAnswer.toFixed(2)}× | ${program.demos.length} | ${program.calibration ? 'yes' : 'no'} | ${calls} | ${compileS.toFixed(0)} |`,
      );
    }
  }
  await disposeLocalRuntimes();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
