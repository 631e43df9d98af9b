/**
 * The README's library tour: optimize a sentiment classifier with BootstrapFewShot and let the A/B
 * gate compare it with the zero-shot program. Works against any OpenAI-compatible server, e.g.
 *   npx kkachi model serve --port 8080 &
 *   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 node dist/examples/library-tour.js
 */
import {
  BootstrapFewShot,
  compareReports,
  createLM,
  createProgram,
  decide,
  evaluate,
  labelAccuracy,
  parseSignature,
  type Example,
} from '../core';
import { loadDataset } from '../core/datasets';

export async function libraryTour(opts: { model: string; baseURL?: string; trainset: Example[]; devset: Example[]; cacheDir?: string }) {
  const lm = await createLM({ provider: 'openai', model: opts.model, baseURL: opts.baseURL }, { cacheDir: opts.cacheDir ?? '.kkachi/cache' });
  const student = createProgram('text -> sentiment: positive|negative', 'Classify the sentiment of the review.', { adapter: 'completion' });
  const metric = labelAccuracy('sentiment');

  const optimizer = new BootstrapFewShot({ maxBootstrappedDemos: 4, maxLabeledDemos: 4 });
  const { program } = await optimizer.compile(student, { trainset: opts.trainset, lm, metric, seed: 0 });

  const baseline = await evaluate(student, opts.devset, { lm, metric });
  const candidate = await evaluate(program, opts.devset, { lm, metric });
  const decision = decide(compareReports(baseline, candidate));
  return { program, baseline, candidate, decision, usage: lm.meter.snapshot() };
}

async function main(): Promise<void> {
  const signature = parseSignature('text -> sentiment: positive|negative');
  const sentences = (offset: number, limit: number) =>
    loadDataset(
      { path: 'npm:sentiment/test/fixtures/amazon.json', inputs: { text: 'text' }, outputs: { sentiment: 'class' }, labels: { '0': 'negative', '1': 'positive' }, shuffleSeed: 7, offset, limit },
      signature,
    );
  const result = await libraryTour({ model: process.env.KKACHI_TOUR_MODEL ?? 'smollm2-135m', baseURL: process.env.OPENAI_BASE_URL, trainset: await sentences(0, 20), devset: await sentences(500, 100) });
  console.log(`zero-shot ${(result.baseline.passRate * 100).toFixed(1)}% → optimized ${(result.candidate.passRate * 100).toFixed(1)}% with ${result.program.demos.length} demos`);
  console.log(result.decision.reason);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
