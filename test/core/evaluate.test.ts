import { ValidationError } from '../../src/core/errors';
import { ErrorBudgetExceeded, evaluate, type EvalProgress, type EvalRow, type EvaluateOptions } from '../../src/core/evaluate';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { exactMatch, type Metric } from '../../src/core/metrics';
import { createProgram } from '../../src/core/program';
import type { Example } from '../../src/core/types';
import { startLMDouble, type DoubleRequest, type LMDouble } from '../support/lm-double';

const program = createProgram('question -> answer');
/** Example i asks "qi" and expects "ai"; the double answers "ai" unless a test says otherwise. */
const dataset = (n: number): Example[] =>
  Array.from({ length: n }, (_, i) => ({ id: `e${i}`, inputs: { question: `q${i}` }, outputs: { answer: `a${i}` } }));
/** Which example a request is about, read from its last user message. */
const exampleIndex = (req: DoubleRequest): number => {
  const match = /\bq(\d+)\b/.exec(req.messages[req.messages.length - 1]?.content ?? '');
  if (!match) throw new Error('request names no question');
  return Number(match[1]);
};

describe('evaluate against the OpenAI-compatible HTTP double', () => {
  let double: LMDouble;
  let lm: OpenAICompatibleLM;
  const run = (examples: Example[], opts: Partial<EvaluateOptions> = {}) =>
    evaluate(program, examples, { lm, metric: exactMatch(), ...opts });

  beforeAll(async () => {
    double = await startLMDouble();
    lm = new OpenAICompatibleLM({ model: 'tiny', baseURL: double.baseURL, apiKey: 'test-key', retry: 'off' });
  });
  afterAll(() => double.close());
  beforeEach(() => {
    double.reset();
    double.setHandler((req) => `a${exampleIndex(req)}`);
  });

  it('keeps exactly `concurrency` predictions in flight and returns rows in dataset order', async () => {
    // Earlier examples answer later, so completion order is the reverse of dataset order.
    double.setHandler((req) => ({ text: `a${exampleIndex(req)}`, delayMs: 20 + (9 - exampleIndex(req)) * 8 }));
    const completed: string[] = [];
    const report = await run(dataset(9), { concurrency: 3, onProgress: (p) => completed.push(p.row.id) });

    expect(double.maxInFlight).toBe(3);
    expect(double.requests).toHaveLength(9);
    expect(completed).not.toEqual(report.rows.map((r) => r.id));
    expect(report.rows.map((r) => r.id)).toEqual(dataset(9).map((e) => e.id));
    expect(report).toMatchObject({ n: 9, meanScore: 1, passRate: 1, errors: 0 });
    expect(report.rows[4]).toMatchObject({ id: 'e4', outputs: { answer: 'a4' }, score: 1, passed: true, cached: false });
    expect(report.usage).toMatchObject({ predictions: 9, cacheHits: 0, errors: 0 });
    expect(report.usage.promptTokens).toBeGreaterThan(0);
    expect(report.usage.completionTokens).toBe(9);
    expect(report.latency.p50).toBeGreaterThanOrEqual(20);
    expect(report.latency.p95).toBeGreaterThanOrEqual(report.latency.p50);
  });

  it('never exceeds a concurrency larger than the dataset', async () => {
    double.setHandler((req) => ({ text: `a${exampleIndex(req)}`, delayMs: 20 }));
    await run(dataset(2), { concurrency: 8 });
    expect(double.maxInFlight).toBe(2);
  });

  it('stops launching work once LM errors exceed the budget and throws ErrorBudgetExceeded', async () => {
    double.setHandler(() => ({ status: 500, delayMs: 5 }));
    const error = await run(dataset(40), { concurrency: 3, maxErrors: 4 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ErrorBudgetExceeded);
    const budget = error as ErrorBudgetExceeded;
    // The 5th error stops new work; at most concurrency − 1 others were already in flight.
    expect(double.requests.length).toBeLessThanOrEqual(4 + 3);
    expect(budget.errors).toBe(double.requests.length);
    expect(budget.message).toMatch(new RegExp(`^Evaluation stopped: ${budget.errors} LM errors exceed the budget of 4; last error: .*500`));
    expect(budget.retryable).toBe(true);
    expect(budget.rows).toHaveLength(double.requests.length);
    expect(budget.rows.every((r) => r.errorKind === 'lm' && r.score === 0 && r.outputs === null)).toBe(true);
    // Rows stay in dataset order even though they finished in any order.
    const ids = budget.rows.map((r) => Number(r.id.slice(1)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('marks the budget failure non-retryable when any LM error was permanent', async () => {
    double.setHandler((req) => (exampleIndex(req) === 0 ? { status: 400 } : { status: 503 }));
    const error = await run(dataset(6), { concurrency: 1, maxErrors: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrorBudgetExceeded);
    expect((error as ErrorBudgetExceeded).retryable).toBe(false);
    expect(double.requests).toHaveLength(2);
  });

  it('scores LM errors within the budget as 0 and reports them', async () => {
    double.setHandler((req) => ([2, 5].includes(exampleIndex(req)) ? { status: 500 } : `a${exampleIndex(req)}`));
    const report = await run(dataset(8), { concurrency: 2, maxErrors: 2 });
    expect(report.errors).toBe(2);
    expect(report.usage.errors).toBe(2);
    expect(report.meanScore).toBe(6 / 8);
    expect(report.rows[2]).toMatchObject({ id: 'e2', outputs: null, score: 0, passed: false, errorKind: 'lm' });
    expect(report.rows[2]?.error).toMatch(/500/);
  });

  it('scores unparseable replies 0 without spending the LM error budget', async () => {
    // An empty reply has no answer marker, no JSON and no bare line: a parse failure.
    double.setHandler((req) => (exampleIndex(req) % 2 === 1 ? '' : `a${exampleIndex(req)}`));
    const report = await run(dataset(6), { concurrency: 2, maxErrors: 0 });
    expect(report).toMatchObject({ n: 6, meanScore: 0.5, passRate: 0.5, errors: 0 });
    expect(report.usage.errors).toBe(0);
    expect(report.rows[1]).toMatchObject({ id: 'e1', outputs: null, score: 0, passed: false, errorKind: 'parse', raw: '' });
    expect(report.rows[1]?.error).toMatch(/missing output field answer/);
  });

  it('scores an example 0 when the metric throws, without counting an LM error', async () => {
    const fragile: Metric = (example, outputs) => {
      if (example.id === 'e1') throw new Error('gold label is malformed');
      return exactMatch()(example, outputs);
    };
    const report = await run(dataset(3), { metric: fragile, maxErrors: 0 });
    expect(report.rows[1]).toMatchObject({ outputs: { answer: 'a1' }, score: 0, passed: false, errorKind: 'metric', error: 'metric: gold label is malformed' });
    expect(report.errors).toBe(0);
    expect(report.meanScore).toBeCloseTo(2 / 3, 12);
  });

  it('reports progress once per example with the running mean score', async () => {
    double.setHandler((req) => (exampleIndex(req) < 2 ? 'wrong' : `a${exampleIndex(req)}`));
    const progress: EvalProgress[] = [];
    const report = await run(dataset(5), { concurrency: 1, onProgress: (p) => progress.push(p) });

    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.map((p) => p.row.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(progress.map((p) => p.meanScore)).toEqual([0, 0, 1 / 3, 2 / 4, 3 / 5]);
    expect(progress.every((p) => p.total === 5 && p.errors === 0)).toBe(true);
    expect(progress[4]?.row).toEqual(report.rows[4]);
  });

  it('resumes: done rows are kept and not requested again, LM-error rows are retried', async () => {
    const done = (id: string, score: number): EvalRow => ({ id, outputs: { answer: 'old' }, score, passed: score === 1, latencyMs: 40, cached: false });
    const failed: EvalRow = { id: 'e3', outputs: null, score: 0, passed: false, latencyMs: 1, cached: false, error: '500', errorKind: 'lm' };
    const progress: EvalProgress[] = [];
    const report = await run(dataset(6), {
      resume: [done('e0', 1), done('e1', 0), done('e4', 1), failed],
      onProgress: (p) => progress.push(p),
    });

    expect(double.requests.map(exampleIndex).sort()).toEqual([2, 3, 5]);
    expect(report.rows.map((r) => r.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(report.rows[1]).toEqual(done('e1', 0));
    expect(report.rows[3]).toMatchObject({ outputs: { answer: 'a3' }, score: 1 });
    expect(report.meanScore).toBeCloseTo(5 / 6, 12);
    expect(report.usage.predictions).toBe(3);
    expect(progress.map((p) => p.done)).toEqual([4, 5, 6]);
  });

  it('rethrows a bad example input after in-flight work settles, naming the field', async () => {
    const examples = dataset(4);
    examples[2] = { id: 'bad', inputs: { query: 'q2' }, outputs: { answer: 'a2' } };
    // e1 is still being answered when the bad example fails; e3 must never start.
    double.setHandler((req) => ({ text: `a${exampleIndex(req)}`, delayMs: exampleIndex(req) === 1 ? 150 : 10 }));
    const error = await run(examples, { concurrency: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/inputs\.question/);
    expect(double.inFlight).toBe(0);
    expect(double.requests.map(exampleIndex)).toEqual([0, 1]);
  });

  it('refuses duplicate example ids and nonsensical options', async () => {
    const examples = dataset(2);
    await expect(run([...examples, examples[0]!])).rejects.toThrow(/duplicate example id "e0"/);
    await expect(run(examples, { concurrency: 0 })).rejects.toThrow(/concurrency must be a positive integer/);
    await expect(run(examples, { maxErrors: -1 })).rejects.toThrow(/maxErrors must be a non-negative integer/);
    expect(double.requests).toHaveLength(0);
  });
});
