/**
 * The peers benchmark's own parts: the metering proxy counts what crosses it per meter, Kkachi's row
 * runs end to end over it against the HTTP double, one scorer handles labels and answers, the
 * task windows keep the answer, and the chart has one panel per task.
 */
import { runKkachi } from '../../bench/peers/kkachi';
import { startMeteringProxy, type MeteringProxy } from '../../bench/peers/proxy';
import { scoreAnswers } from '../../bench/peers/score';
import { scoreChart } from '../../bench/peers/chart';
import { contextWindow, type PeerTask } from '../../bench/peers/tasks';
import { emailText } from '../../src/demo/spam-data';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const example = (i: number, tweet: string, sentiment: string) => ({ id: `t${i}`, inputs: { tweet }, outputs: { sentiment } });

/** A keyword world: "good" is positive, "bad" negative, anything else neutral — found only with demos in the prompt. */
function sentimentTask(): PeerTask {
  const words = ['good', 'bad', 'plain'];
  const labels = ['positive', 'negative', 'neutral'];
  const rows = Array.from({ length: 18 }, (_, i) => example(i, `a ${words[i % 3]} day number ${i}`, labels[i % 3] as string));
  return {
    name: 'sentiment',
    title: 'keyword sentiment',
    source: 'test',
    inputs: ['tweet'],
    output: 'sentiment',
    labels: ['negative', 'neutral', 'positive'],
    train: rows.slice(0, 9),
    test: rows.slice(9),
    pool: rows.length,
  };
}

describe('peers benchmark', () => {
  let double: LMDouble;
  let proxy: MeteringProxy;

  beforeAll(async () => {
    process.env.OPENAI_API_KEY ||= 'unused';
    double = await startLMDouble((req) => {
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const withDemos = req.messages.some((m) => m.role === 'assistant');
      const text = !withDemos ? 'neutral' : last.includes('good') ? 'positive' : last.includes('bad') ? 'negative' : 'neutral';
      return { text, usage: { prompt_tokens: 10, completion_tokens: 1 } };
    });
    proxy = await startMeteringProxy(double.baseURL);
  });

  afterAll(async () => {
    await proxy.close();
    await double.close();
  });

  test("Kkachi's rows run over the proxy: answers in test order, every call counted on its phase's meter", async () => {
    const task = sentimentTask();
    const runs = await runKkachi(task, { maxTokens: 8, maxDemos: 2, seed: 7, baseURL: proxy.baseURL, model: 'double' });
    expect(runs.map((r) => r.optimizer)).toEqual(['BootstrapFewShot', 'recommended']);
    expect(scoreAnswers(task, runs[0]?.zeroShot.predictions ?? []).value).toBeCloseTo(1 / 6, 5);
    for (const run of runs) {
      expect(run.optimized.predictions).toEqual(task.test.map((e) => e.outputs.sentiment));
      expect(scoreAnswers(task, run.optimized.predictions).value).toBe(1);
      expect(run.compile.demos).toBeGreaterThan(0);
    }
    const zero = proxy.meters.get('sentiment.kkachi.zero-shot');
    expect(zero).toMatchObject({ calls: task.test.length, failed: 0, promptTokens: 10 * task.test.length, completionTokens: task.test.length });
    expect(proxy.meters.get('sentiment.kkachi-bfs.optimized')?.calls).toBe(task.test.length);
    expect(proxy.meters.get('sentiment.kkachi-recommended.compile')?.calls).toBeGreaterThan(0);
    // Kkachi sends max_tokens (llama.cpp-style servers read only that name).
    expect(Object.keys(zero?.shapes ?? {})).toEqual([expect.stringContaining('max_tokens=8')]);
    const total = [...proxy.meters.values()].reduce((n, m) => n + m.calls, 0);
    expect(total).toBe(double.requests.length);
  });

  test('a refused request is counted as a call and a failure', async () => {
    double.setHandler(() => ({ status: 400, body: { error: { message: 'nope' } } }));
    const res = await fetch(`${proxy.baseURL('refused')}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'x', messages: [] }) });
    expect(res.status).toBe(400);
    expect(proxy.meters.get('refused')).toMatchObject({ calls: 1, failed: 1 });
    expect((await fetch(`${proxy.baseURL('refused').replace('/refused/v1', '')}/v1/chat/completions`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  test('macro-F1 punishes a one-label program that accuracy would flatter; no answer counts as wrong', () => {
    const task = sentimentTask();
    const oneLabel = scoreAnswers(task, task.test.map(() => 'neutral'));
    expect(oneLabel.value).toBeCloseTo(1 / 6, 5); // neutral F1 0.5, the other two 0
    expect(oneLabel.overAnswer).toBeCloseTo(3, 5);
    const perfect = task.test.map((e) => String(e.outputs.sentiment).toUpperCase());
    expect(scoreAnswers(task, perfect)).toMatchObject({ value: 1, low: 1, high: 1, missing: 0 });
    const missing = scoreAnswers(task, perfect.map((p, i) => (i === 0 ? null : p)));
    expect(missing.missing).toBe(1);
    expect(missing.value).toBeLessThan(1);
    expect(missing.low).toBeLessThanOrEqual(missing.value);
    expect(missing.high).toBeGreaterThanOrEqual(missing.value);
  });

  test('QA answers score by the best token F1 over the accepted answers', () => {
    const task: PeerTask = {
      name: 'qa',
      title: 'qa',
      source: 'test',
      inputs: ['context', 'question'],
      output: 'answer',
      train: [],
      test: [
        { id: 'a', inputs: {}, outputs: { answer: 'the Eiffel Tower' }, alternatives: { answer: ['the Eiffel Tower', 'Eiffel'] } },
        { id: 'b', inputs: {}, outputs: { answer: '1889' } },
      ],
      pool: 2,
    };
    expect(scoreAnswers(task, ['Eiffel', 'in 1889']).value).toBeCloseTo((1 + 2 / 3) / 2, 5);
    expect(scoreAnswers(task, [null, null])).toMatchObject({ value: 0, missing: 2 });
  });

  test('a QA context window keeps the answer and the length limit', () => {
    const context = `${'Lorem ipsum dolor sit amet. '.repeat(40)}The tower was finished in 1889 by Gustave Eiffel. ${'More words follow here. '.repeat(40)}`;
    for (let seed = 0; seed < 20; seed++) {
      const window = contextWindow(context, 'Gustave Eiffel', 200, seed);
      expect(window).toContain('Gustave Eiffel');
      expect(window?.length).toBeLessThanOrEqual(200);
    }
    expect(contextWindow(context, 'not in the text', 200, 0)).toBeNull();
  });

  test('an e-mail (read as the spam demo reads it) keeps its subject and text body, without headers, HTML or base64', () => {
    const raw = 'From: a@b\nSubject: Cheap   meds\n\tnow\nContent-Type: text/html\n\n<html><body><p>Buy&nbsp;now</p><style>p{}</style></body></html>';
    expect(emailText(raw, 400)).toBe('Subject: Cheap meds now\nBuy now');
    expect(emailText(`Subject: hi\n\n${'QUJD'.repeat(100)}`, 400)).toBe('Subject: hi');
    expect(emailText(`Subject: long\n\n${'word '.repeat(200)}`, 60).length).toBeLessThanOrEqual(62);
  });

  test('the chart is one SVG panel per task with a marker per phase', () => {
    const score = { value: 0.5, low: 0.4, high: 0.6, missing: 0 };
    const points = ['Kkachi · recommended', 'DSPy 3.4.1 · BootstrapFewShot'].flatMap((series) => [
      { series, system: series.split(' ')[0] as string, kind: 'zero-shot' as const, seconds: 10, score },
      { series, system: series.split(' ')[0] as string, kind: 'optimized' as const, seconds: 30, score },
    ]);
    const svg = scoreChart([
      { title: 'sentiment', measure: 'macro-F1', points },
      { title: 'qa', measure: 'token F1', points },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/font-weight="bold"/g)).toHaveLength(2);
    // Per panel: 2 squares (recommended) + 2 circles, plus one legend marker per series.
    expect(svg.match(/<rect x=/g)).toHaveLength(2 * 3 + 1);
    expect(svg.match(/<circle /g)).toHaveLength(2 * 2 + 1);
  });
});
