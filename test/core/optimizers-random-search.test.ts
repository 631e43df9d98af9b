import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../../src/core/evaluate';
import { CachedLM } from '../../src/core/lm/cache';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { labelAccuracy } from '../../src/core/metrics';
import { BootstrapFewShotWithRandomSearch, type CompileContext, type OptimizeProgress } from '../../src/core/optimizers';
import type { Example } from '../../src/core/types';
import { isTricky, keywordOracle, keywordProgram, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const metric = labelAccuracy('sentiment');
const student = keywordProgram();
const trainset = makeExamples(24, 1);
const valset = makeExamples(40, 2);
const share = (examples: Example[], keep: (e: Example) => boolean) => examples.filter(keep).length / examples.length;

describe('BootstrapFewShotWithRandomSearch', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  let cacheDir: string;
  const ctx = (extra: Partial<CompileContext> = {}): CompileContext => ({ trainset, valset, lm, metric, seed: 0, ...extra });

  beforeAll(async () => {
    double = await startLMDouble(keywordOracle());
    lm = new OpenAICompatibleLM({ model: 'keyword-oracle', baseURL: double.baseURL, retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(async () => {
    double.reset();
    double.setHandler(keywordOracle());
    cacheDir = await mkdtemp(join(tmpdir(), 'kkachi-random-search-'));
  });
  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  it('scores zero-shot, labelled-only, unshuffled and numCandidatePrograms random bootstraps, and keeps the best', async () => {
    const progress: OptimizeProgress[] = [];
    const optimizer = new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 6 });
    const result = await optimizer.compile(student, ctx({ onProgress: (p) => progress.push(p) }));

    const { candidates } = result;
    expect(candidates).toHaveLength(9);
    expect(candidates.map((c) => c.seed).sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4, 5]);
    expect(candidates.map((c) => c.score)).toEqual([...candidates.map((c) => c.score)].sort((a, b) => b - a));
    const byLabel = Object.fromEntries(candidates.map((c) => [c.label, c]));
    expect(byLabel['zero-shot']).toMatchObject({ seed: -3, demos: 0 });
    expect(byLabel['labeled-only']).toMatchObject({ seed: -2, demos: 16 });
    expect(byLabel['bootstrap-unshuffled']).toMatchObject({ seed: -1 });
    expect(byLabel['bootstrap-random-0']).toMatchObject({ seed: 0 });

    // The zero-shot oracle is right on non-tricky negatives only; good demos fix every non-tricky one.
    const zeroShot = byLabel['zero-shot']?.score ?? NaN;
    expect(zeroShot).toBeCloseTo(share(valset, (e) => !isTricky(e) && e.outputs.sentiment === 'negative'));
    const best = candidates[0]?.score ?? NaN;
    expect(best).toBeGreaterThanOrEqual(zeroShot + 0.3);
    const rescored = await evaluate(result.program, valset, { lm, metric });
    expect(rescored.meanScore).toBe(best);
    expect(result.program.demos.filter((d) => d.augmented).length).toBeLessThanOrEqual(4);
    expect(result.traces).toBeGreaterThan(0);
    expect(result.usage?.predictions).toBeGreaterThanOrEqual(9 * valset.length);

    expect(progress.filter((p) => p.stage === 'search').map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(progress.at(-1)).toEqual({ stage: 'search', done: 9, total: 9, bestScore: best });
  });

  it('never picks a program worse than zero-shot: on a tie the earliest candidate wins', async () => {
    // The oracle gets every tricky example wrong, whatever the demos: all candidates score 0.
    const allTricky = makeExamples(30, 3, { trickyRate: 1 });
    const result = await new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 2 }).compile(student, ctx({ valset: allTricky }));
    expect(result.candidates.map((c) => c.score)).toEqual([0, 0, 0, 0, 0]);
    expect(result.candidates.map((c) => c.seed)).toEqual([-3, -2, -1, 0, 1]);
    expect(result.program).toEqual({ ...student, demos: [] });
  });

  it('stops at stopAtScore and scores on the trainset when no valset is given', async () => {
    const result = await new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 4, stopAtScore: 0.6 }).compile(student, ctx({ valset: undefined }));
    const scores = result.candidates.map((c) => c.score);
    expect(scores.length).toBeLessThan(7);
    // Candidates are scored in seed order, so the search stopped at the first one reaching 0.6.
    const bySeed = [...result.candidates].sort((a, b) => a.seed - b.seed);
    expect(bySeed.at(-1)?.score).toBeGreaterThanOrEqual(0.6);
    expect(bySeed.slice(0, -1).every((c) => c.score < 0.6)).toBe(true);
    const zeroShot = result.candidates.find((c) => c.seed === -3);
    expect(zeroShot?.score).toBeCloseTo(share(trainset, (e) => !isTricky(e) && e.outputs.sentiment === 'negative'));
  });

  it('gives the same program whatever the concurrency, and replays it from the cache without HTTP calls', async () => {
    // A slow oracle, so that evaluations overlap and finish out of order.
    const oracle = keywordOracle();
    double.setHandler((req, i) => ({ text: oracle(req), delayMs: 1 + (i % 3) }));
    const optimizer = new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 3, numThreads: 4 });
    const parallel = await optimizer.compile(student, ctx({ seed: 5, lm: new CachedLM(lm, cacheDir) }));
    expect(double.maxInFlight).toBeGreaterThan(1);

    double.reset();
    const sequential = await new BootstrapFewShotWithRandomSearch({ numCandidatePrograms: 3, numThreads: 1 }).compile(student, ctx({ seed: 5 }));
    expect(double.maxInFlight).toBe(1);
    expect(sequential.program).toEqual(parallel.program);
    expect(sequential.candidates).toEqual(parallel.candidates);

    double.reset();
    const replayed = await optimizer.compile(student, ctx({ seed: 5, lm: new CachedLM(lm, cacheDir) }));
    expect(double.requests).toHaveLength(0);
    expect(replayed.program).toEqual(parallel.program);
  });
});
