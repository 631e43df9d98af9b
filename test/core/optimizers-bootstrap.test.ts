import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifact } from '../../src/core/artifact';
import { CachedLM } from '../../src/core/lm/cache';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy, type Metric } from '../../src/core/metrics';
import { BootstrapFewShot, TeacherErrorBudgetExceeded, type CompileContext } from '../../src/core/optimizers';
import type { Demo, Example } from '../../src/core/types';
import { isTricky, KEYWORDS, keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { startLMDouble, type DoubleRequest, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const student = keywordProgram();
const lastUser = (req: DoubleRequest) => req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
/** The user messages before the query: one per demo in the prompt. */
const demoTexts = (req: DoubleRequest) => req.messages.filter((m) => m.role === 'user').slice(0, -1).map((m) => m.content);
const textOf = (e: Example | Demo) => String(e.inputs.text);
const asAugmented = (e: Example): Demo => ({ inputs: e.inputs, outputs: e.outputs, augmented: true });
const keywordOf = (e: Example) => Object.keys(KEYWORDS).find((k) => new RegExp(`\\b${k}\\b`).test(textOf(e)));

describe('BootstrapFewShot', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  let cacheDir: string;
  const ctx = (trainset: Example[], extra: Partial<CompileContext> = {}): CompileContext => ({ trainset, lm, metric, seed: 0, ...extra });

  beforeAll(async () => {
    double = await startLMDouble();
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(async () => {
    double.reset();
    double.setHandler(keywordOracle());
    cacheDir = await mkdtemp(join(tmpdir(), 'kkachi-bootstrap-'));
  });
  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  it('keeps exactly the passing traces, in trainset order, up to maxBootstrappedDemos', async () => {
    // A teacher without demos answers "negative": exactly the non-tricky negative examples pass.
    const trainset = makeExamples(24, 1);
    const passing = trainset.filter((e) => !isTricky(e) && e.outputs.sentiment === 'negative');
    expect(passing.length).toBeGreaterThan(4);

    const all = await new BootstrapFewShot({ maxBootstrappedDemos: 50, maxLabeledDemos: 0 }).compile(student, ctx(trainset));
    expect(all.program.demos).toEqual(passing.map(asAugmented));
    expect(all.traces).toBe(24);
    expect(double.requests).toHaveLength(24);

    double.reset();
    const capped = await new BootstrapFewShot({ maxBootstrappedDemos: 3, maxLabeledDemos: 0 }).compile(student, ctx(trainset));
    expect(capped.program.demos).toEqual(passing.slice(0, 3).map(asAugmented));
    // The walk stops as soon as the third trace passes.
    expect(double.requests).toHaveLength(trainset.indexOf(passing[2] as Example) + 1);
  });

  it('never shows the teacher the example it is tracing, and tops up with unbootstrapped labelled demos', async () => {
    const trainset = makeExamples(12, 2, { trickyRate: 0.25 });
    const { program } = await new BootstrapFewShot({ maxBootstrappedDemos: 12 }).compile(student, ctx(trainset));

    // maxLabeledDemos (16) ≥ 12, so the teacher holds every example and each trace drops its own.
    expect(double.requests).toHaveLength(12);
    for (const req of double.requests) {
      const own = trainset.filter((e) => lastUser(req).includes(textOf(e)));
      expect(own).toHaveLength(1);
      expect(demoTexts(req)).toHaveLength(11);
      expect(demoTexts(req).some((t) => t.includes(textOf(own[0] as Example)))).toBe(false);
    }

    // With the other 11 as demos, a trace passes unless it is tricky, or its keyword is nowhere else
    // and its label is not the oracle's default.
    const shared = (e: Example) => trainset.some((o) => o !== e && keywordOf(o) === keywordOf(e));
    const passing = trainset.filter((e) => !isTricky(e) && (shared(e) || e.outputs.sentiment === 'negative'));
    const augmented = program.demos.filter((d) => d.augmented);
    expect(augmented).toEqual(passing.map(asAugmented));
    expect(augmented.some((d) => textOf(d).includes('tricky'))).toBe(false);
    const labeled = program.demos.filter((d) => !d.augmented);
    expect(labeled.map(textOf).sort()).toEqual(trainset.filter((e) => !passing.includes(e)).map(textOf).sort());
  });

  it('respects maxLabeledDemos: augmented traces first, then a seeded sample of the rest', async () => {
    const trainset = makeExamples(24, 1);
    const { program } = await new BootstrapFewShot({ maxBootstrappedDemos: 2, maxLabeledDemos: 5 }).compile(student, ctx(trainset));
    expect(program.demos.map((d) => d.augmented === true)).toEqual([true, true, false, false, false]);
    const augmentedTexts = program.demos.slice(0, 2).map(textOf);
    expect(program.demos.slice(2).some((d) => augmentedTexts.includes(textOf(d)))).toBe(false);
    // The teacher held maxLabeledDemos labelled demos minus the traced example when it was among them.
    for (const req of double.requests) expect(demoTexts(req).length).toBeGreaterThanOrEqual(4);
    expect(double.requests.every((req) => demoTexts(req).length <= 5)).toBe(true);
  });

  it('retries failed examples in later rounds at temperature 1.0 with a fresh rollout that misses the cache', async () => {
    // Sampling (temperature 1) "finds" the positive label the greedy teacher misses.
    const greedy = keywordOracle();
    const sampled = keywordOracle({ defaultLabel: 'positive' });
    double.setHandler((req) => (req.temperature === 1 ? sampled(req) : greedy(req)));
    const trainset = makeExamples(12, 3, { trickyRate: 0.25 });
    const cached = new CachedLM(lm, cacheDir);
    const tricky = trainset.filter(isTricky);
    const negatives = trainset.filter((e) => !isTricky(e) && e.outputs.sentiment === 'negative');
    const positives = trainset.filter((e) => !isTricky(e) && e.outputs.sentiment === 'positive');

    const oneRound = await new BootstrapFewShot({ maxBootstrappedDemos: 50, maxLabeledDemos: 0 }).compile(student, ctx(trainset, { lm: cached }));
    expect(oneRound.program.demos).toEqual(negatives.map(asAugmented));

    double.reset();
    const threeRounds = await new BootstrapFewShot({ maxBootstrappedDemos: 50, maxLabeledDemos: 0, maxRounds: 3 }).compile(student, ctx(trainset, { lm: cached }));
    // As DSPy: each example is retried in place until it passes, so demos keep trainset order.
    expect(threeRounds.program.demos).toEqual(trainset.filter((e) => !isTricky(e)).map(asAugmented));
    expect(positives.length).toBeGreaterThan(0);
    // Attempt 1 came from the cache; attempt 2 retried positives and tricky ones, attempt 3 only the
    // tricky ones — same messages, same temperature as attempt 2, so only the rollout id keeps them apart.
    expect(double.requests.map((r) => r.temperature)).toEqual(Array(positives.length + 2 * tricky.length).fill(1));
    for (const e of tricky) expect(double.requests.filter((r) => lastUser(r).includes(textOf(e)))).toHaveLength(2);
    expect(threeRounds.traces).toBe(12 + positives.length + 2 * tricky.length);
  });

  it('accepts a trace by metricThreshold instead of passed', async () => {
    const trainset = makeExamples(12, 4);
    const generous: Metric = (example, outputs) => ({ score: outputs.sentiment === example.outputs.sentiment ? 0.7 : 0.1, passed: false });
    const config = { maxBootstrappedDemos: 50, maxLabeledDemos: 0 };
    const strict = await new BootstrapFewShot(config).compile(student, ctx(trainset, { metric: generous }));
    expect(strict.program.demos).toEqual([]);
    const threshold = await new BootstrapFewShot({ ...config, metricThreshold: 0.5 }).compile(student, ctx(trainset, { metric: generous }));
    expect(threshold.program.demos).toEqual(trainset.filter((e) => !isTricky(e) && e.outputs.sentiment === 'negative').map(asAugmented));
  });

  it('runs a given teacher on the teacher LM', async () => {
    const teacherDouble = await startLMDouble(keywordOracle({ defaultLabel: 'positive' }));
    try {
      const teacherLm = new OpenAICompatibleLM({ model: 'teacher', baseURL: teacherDouble.baseURL, retry: 'off' });
      const teacher = keywordProgram({ demos: [{ inputs: { text: 'Review 99: the zorp.' }, outputs: { sentiment: 'positive' } }] });
      const trainset = makeExamples(8, 5, { trickyRate: 0 });
      const { program } = await new BootstrapFewShot({ maxBootstrappedDemos: 50, maxLabeledDemos: 0 }).compile(student, ctx(trainset, { teacher, teacherLm }));
      expect(double.requests).toHaveLength(0);
      expect(teacherDouble.requests.map((r) => demoTexts(r))).toEqual(Array(8).fill([expect.stringContaining('Review 99')]));
      expect(program.demos).toEqual(trainset.filter((e) => e.outputs.sentiment === 'positive').map(asAugmented));
      expect(program.instructions).toBe(student.instructions);
    } finally {
      await teacherDouble.close();
    }
  });

  it('tolerates maxErrors teacher LM errors, then throws', async () => {
    const trainset = makeExamples(12, 6, { trickyRate: 0 });
    const broken = textOf(trainset[0] as Example);
    const oracle = keywordOracle();
    double.setHandler((req) => (lastUser(req).includes(broken) ? { status: 500 } : oracle(req)));
    const ok = await new BootstrapFewShot({ maxBootstrappedDemos: 50, maxLabeledDemos: 0, maxErrors: 1 }).compile(student, ctx(trainset));
    expect(ok.usage?.errors).toBe(1);
    expect(ok.program.demos.some((d) => textOf(d) === broken)).toBe(false);

    double.reset();
    double.setHandler(() => ({ status: 400 }));
    const failing = new BootstrapFewShot({ maxErrors: 2 }).compile(student, ctx(trainset));
    await expect(failing).rejects.toThrow(TeacherErrorBudgetExceeded);
    await expect(failing).rejects.toMatchObject({ errors: 3, retryable: false });
    expect(double.requests).toHaveLength(3);
  });

  it('is reproducible: same seed and cache give the same artifact with no HTTP calls; another seed can change the sample', async () => {
    const trainset = makeExamples(24, 1);
    const optimizer = new BootstrapFewShot({ maxBootstrappedDemos: 4, maxLabeledDemos: 10, maxRounds: 2 });
    const artifactFor = async (seed: number) => {
      const { program } = await optimizer.compile(student, ctx(trainset, { lm: new CachedLM(lm, cacheDir), seed }));
      return createArtifact(program, { parentId: null, datasetId: 'ds', optimizer: { name: optimizer.name, config: optimizer.config, seed }, evalReportId: null });
    };
    const first = await artifactFor(7);
    expect(double.requests.length).toBeGreaterThan(0);
    double.reset();
    const second = await artifactFor(7);
    expect(second.id).toBe(first.id);
    expect(second.program).toEqual(first.program);
    expect(double.requests).toHaveLength(0);

    const labeledTexts = (a: typeof first) => a.program.demos.filter((d) => !d.augmented).map(textOf);
    const others = await Promise.all([8, 9, 10].map(artifactFor));
    expect(others.some((a) => JSON.stringify(labeledTexts(a)) !== JSON.stringify(labeledTexts(first)))).toBe(true);
  });
});
