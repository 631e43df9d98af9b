import { modelsDir } from '../../src/models/location';
import { createLocalLM } from '../../src/core/lm/local';
import { disposeLocalRuntimes } from '../../src/core/lm/local-runtime';
import type { LM } from '../../src/core/lm/types';
import { createProgram, predict } from '../../src/core/program';
import { describeWithModel, TEST_MODEL } from './model-available';

const REVIEWS: Array<[string, 'positive' | 'negative']> = [
  ['This phone is great, the battery lasts all day.', 'positive'],
  ['Terrible headset, it broke after one week.', 'negative'],
  ['I love this case, it fits perfectly.', 'positive'],
  ['Waste of money. The charger stopped working.', 'negative'],
  ['Excellent sound quality and very comfortable.', 'positive'],
  ['Poor reception and the screen cracked immediately.', 'negative'],
];

const program = createProgram('text -> sentiment: positive|negative', '', {
  adapter: 'completion',
  demos: [
    { inputs: { text: 'Works perfectly, highly recommend.' }, outputs: { sentiment: 'positive' } },
    { inputs: { text: 'Does not hold a charge at all.' }, outputs: { sentiment: 'negative' } },
    { inputs: { text: 'Good quality for the price.' }, outputs: { sentiment: 'positive' } },
    { inputs: { text: 'Very disappointed, returned it.' }, outputs: { sentiment: 'negative' } },
  ],
});

describeWithModel('embedded local LM (real GGUF model)', () => {
  let lm: LM;
  beforeAll(async () => {
    lm = await createLocalLM({ model: TEST_MODEL, modelsDir: modelsDir() });
  });
  afterAll(() => disposeLocalRuntimes());

  const classifyAll = () =>
    REVIEWS.map(async ([text]) => {
      const prediction = await predict(program, { text }, lm);
      if (!prediction.ok) throw new Error(`prediction failed: ${prediction.error.message}`);
      return prediction.outputs.sentiment;
    });

  it('answers every enum prediction with a valid label, identically on two runs, mostly right', async () => {
    const first = await Promise.all(classifyAll());
    const second = await Promise.all(classifyAll());
    expect(first.every((label) => label === 'positive' || label === 'negative')).toBe(true);
    expect(second).toEqual(first);
    const correct = first.filter((label, i) => label === REVIEWS[i]?.[1]).length;
    expect(correct).toBeGreaterThanOrEqual(5);
  });

  it('reports the time a sequence spent on the request, not the time queued behind others', async () => {
    // One sequence serves the requests one after another, so their own latencies cannot overlap.
    const started = performance.now();
    const predictions = await Promise.all(REVIEWS.map(([text]) => predict(program, { text }, lm)));
    const wall = performance.now() - started;
    const total = predictions.reduce((sum, p) => sum + p.latencyMs, 0);
    expect(total).toBeLessThanOrEqual(wall);
  });

  it('returns the bare label, with token usage, under a stable id', async () => {
    const completion = await lm.complete([{ role: 'user', content: 'Text: I hate it\nSentiment:' }], { choices: ['positive', 'negative'] });
    expect(['positive', 'negative']).toContain(completion.text);
    expect(completion.usage.promptTokens).toBeGreaterThan(5);
    expect(completion.usage.completionTokens).toBeGreaterThanOrEqual(1);
    expect(lm.id).toBe('local:smollm2-135m');
  });

  it('stops free text at maxTokens and reproduces a sample from the same rollout id', async () => {
    const messages = [{ role: 'user' as const, content: 'Count to fifty: one, two, three, four,' }];
    const capped = await lm.complete(messages, { maxTokens: 5 });
    expect(capped.usage.completionTokens).toBe(5);
    const a = await lm.complete(messages, { maxTokens: 12, temperature: 1, rolloutId: 'r1' });
    const b = await lm.complete(messages, { maxTokens: 12, temperature: 1, rolloutId: 'r1' });
    expect(b.text).toBe(a.text);
    expect(a.text.length).toBeGreaterThan(0);
  });

  it('cuts the reply at a stop string', async () => {
    const reply = await lm.complete([{ role: 'user', content: 'Count: one, two, three, four, five, six,' }], { maxTokens: 20, stop: [','] });
    expect(reply.text).not.toContain(',');
  });
});
