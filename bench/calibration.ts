/**
 * Label-bias calibration on the embedded model: for a zero-shot and a 4-demo (label-balanced) prompt,
 * the label each calibration answers on held-out rows — none (the highest label score), contextual
 * (content-free inputs), batch (mean label probability over the training inputs) and fitted (offsets
 * maximising macro-F1 on the labelled training rows) — scored by macro-F1, accuracy, per-label recall
 * and the largest over-answer ratio. Each test row's label scores are read once and every calibration
 * decides from them with the product's `calibratedChoice`, so the rows compare like with like.
 * Run: see docs/BENCHMARKS.md ("Calibration on small models").
 */
import * as os from 'node:os';
import { calibrate, calibratedChoice, labelScorer, type Calibration } from '../src/core/calibration';
import { calibrateOnExamples } from '../src/core/calibration-fit';
import { createLocalLM } from '../src/core/lm/local';
import { disposeLocalRuntimes } from '../src/core/lm/local-runtime';
import { LabeledFewShot } from '../src/core/optimizers';
import { createProgram, type ProgramSpec } from '../src/core/program';
import { createRng } from '../src/core/random';
import { parseSignature } from '../src/core/signature';
import { classificationSummary } from '../src/core/stats/classification';
import { modelsDir } from '../src/models/location';
import { arg, sentences, spam, tweets, type DataSet } from './datasets';

/** The label with the highest score: what the prompt answers without a calibration. */
const topLabel = (choices: readonly string[], logProbs: readonly number[]): string => choices[logProbs.indexOf(Math.max(...logProbs))] as string;

async function main() {
  const model = arg('model', 'gemma3-270m');
  const nTest = Number(arg('test', '120'));
  const nTrain = Number(arg('train', '60'));
  const loaders: Record<string, () => Promise<DataSet | undefined>> = { spam, tweets: async () => tweets(), amazon: async () => sentences('amazon') };
  const lm = await createLocalLM({ model, modelsDir: modelsDir() });
  console.log(`# ${new Date().toISOString()} ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}; model ${model}; train ${nTrain}, test ${nTest}`);
  console.log('| data | prompt | calibration | test macro-F1 | accuracy | recall per label | max over-answer | calibration LM calls |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of arg('set', 'spam,tweets,amazon').split(',')) {
    const load = loaders[name];
    if (!load) throw new Error(`--set ${name}: one of ${Object.keys(loaders).join(', ')}`);
    const set = await load();
    if (!set) continue;
    const field = parseSignature(set.signature).outputs[0]?.name as string;
    const shuffled = createRng(7).shuffle(set.rows);
    const test = shuffled.slice(0, nTest);
    const trainset = shuffled.slice(nTest, nTest + nTrain);
    const student = createProgram(set.signature, '', { adapter: 'completion', lm: { maxTokens: 16 } });
    const fewShot = (await new LabeledFewShot({ k: 4, balanceLabels: true }).compile(student, { trainset, seed: 0 })).program;
    for (const [prompt, program] of [['zero-shot', student], ['4 balanced demos', fewShot]] as [string, ProgramSpec][]) {
      let calls = 0;
      const count = () => (calls += 1);
      const contextual = await calibrate(program, lm, { onCompletion: count });
      const contextualCalls = calls;
      const onExamples = await calibrateOnExamples(program, lm, trainset, { onCompletion: count });
      const exampleCalls = calls - contextualCalls;
      const scorer = labelScorer(program, lm);
      if (!scorer || !contextual || !onExamples) throw new Error(`${model} reports no label probabilities`);
      const scores: number[][] = [];
      for (const example of test) scores.push((await scorer.score(example.inputs)) as number[]);
      const variants: [string, Calibration | undefined, number][] = [
        ['none', undefined, 0],
        ['contextual', contextual.calibration as Calibration, contextualCalls],
        ['batch', onExamples.batch.calibration as Calibration, exampleCalls],
        ['fitted', onExamples.fitted.calibration as Calibration, exampleCalls],
      ];
      for (const [label, calibration, lmCalls] of variants) {
        const pairs = test.map((e, i) => {
          const logProbs = scores[i] as number[];
          return { gold: String(e.outputs[field]), predicted: calibration ? calibratedChoice(scorer.choices, logProbs, calibration) : topLabel(scorer.choices, logProbs) };
        });
        const s = classificationSummary(pairs, set.labels);
        const present = s.perLabel.filter((l) => l.support > 0);
        const recall = present.map((l) => `${l.label} ${l.recall.toFixed(2)}`).join(', ');
        const overAnswer = Math.max(...present.map((l) => l.predicted / l.support));
        console.log(`| ${set.name} | ${prompt} | ${label} | ${s.macroF1.toFixed(3)} | ${(s.accuracy * 100).toFixed(1)}% | ${recall} | ${overAnswer.toFixed(2)}× | ${lmCalls} |`);
      }
    }
  }
  await disposeLocalRuntimes();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
