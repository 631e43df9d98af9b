/**
 * `kkachi serve` over real HTTP, with a real Temporal dev server, a real worker and learner, the real
 * store and the LM double: predictions (logged, by the active version), feedback (by prediction id or
 * full payload, 400/404/401/413, duplicates counted once), task status, health and readiness, and
 * the token on the dashboard.
 */
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { makeExamples } from '../support/keyword-world';
import { setUpRunningHarness, waitForStatus, type Harness } from '../workflows/harness';
import { serve, startLearner, TOKEN, type Served } from './support';

let h: Harness;
let s: Served;
let baseline: string;
let learnerHandle: Awaited<ReturnType<typeof startLearner>>['handle'];
const texts = makeExamples(400, 900).map((e) => e.inputs.text as string);

beforeAll(async () => {
  h = await setUpRunningHarness();
  ({ handle: learnerHandle, baseline } = await startLearner(h, 'served'));
  s = await serve(h);
}, 90_000);
afterAll(async () => {
  await s?.close();
  await h?.stop();
});

/** Answered predictions and feedback outcomes, to check /metrics against. */
const made = { predictions: 0, accepted: 0, duplicate: 0 };
const predict = async (text: string, extra: Record<string, unknown> = {}) => {
  const res = await s.call('POST', '/v1/tasks/served/predict', { inputs: { text }, ...extra });
  if (res.status === 200) made.predictions += 1;
  return res;
};
const feedback = async (path: string, body: unknown) => {
  const res = await s.call('POST', `/v1/tasks/served/${path}`, body);
  if (res.status === 202 && path === 'feedback') made[res.body.accepted ? 'accepted' : 'duplicate'] += 1;
  if (res.status === 202 && path === 'feedback/batch') Object.assign(made, { accepted: made.accepted + res.body.accepted, duplicate: made.duplicate + res.body.duplicate });
  return res;
};

describe('predict', () => {
  it('answers with the active version and logs the prediction', async () => {
    const res = await predict(texts[0] as string);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ predictionId: expect.any(String), versionId: baseline, outputs: { sentiment: expect.stringMatching(/^(positive|negative)$/) }, latencyMs: expect.any(Number) });
    const logged = await s.store.getPrediction('served', res.body.predictionId);
    expect(logged).toMatchObject({ versionId: baseline, inputs: { text: texts[0] }, outputs: res.body.outputs, error: null });
  });

  it('refuses bad inputs naming the field, and unknown tasks', async () => {
    const missing = await s.call('POST', '/v1/tasks/served/predict', { inputs: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'invalid_request', field: 'inputs.text' });
    const extra = await s.call('POST', '/v1/tasks/served/predict', { inputs: { text: 'x' }, colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.field).toBe('colour');
    const notJson = await s.call('POST', '/v1/tasks/served/predict', '{"inputs":');
    expect(notJson.status).toBe(400);
    const unknown = await s.call('POST', '/v1/tasks/nope/predict', { inputs: { text: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_task');
  });
});

describe('auth and limits', () => {
  it('needs the bearer token on /v1/* (401 without it or with a wrong one), not on health checks', async () => {
    const none = await s.call('POST', '/v1/tasks/served/predict', { inputs: { text: 'x' } }, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await s.call('GET', '/v1/tasks', undefined, { authorization: 'Bearer test-token-5f2d' });
    expect(wrong.status).toBe(401);
    const noFeedback = await s.call('POST', '/v1/tasks/served/feedback', { predictionId: 'x', correct: { sentiment: 'positive' } }, { authorization: '' });
    expect(noFeedback.status).toBe(401);
    expect((await s.call('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
  });

  it('needs the token on the dashboard too: as a bearer header or as the Basic auth password a browser asks for', async () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const none = await s.call('GET', '/', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="kkachi", charset="UTF-8"');
    expect(JSON.stringify(none.body)).not.toContain('served');
    expect((await s.call('GET', '/?task=served', undefined, { authorization: '' })).status).toBe(401);
    expect((await s.call('GET', '/', undefined, { authorization: basic('kkachi', 'test-token-5f2d') })).status).toBe(401);
    expect((await s.call('GET', '/', undefined, { authorization: 'Basic not-base64!' })).status).toBe(401);
    for (const authorization of [basic('anyone', TOKEN), `Bearer ${TOKEN}`]) {
      const page = await s.call('GET', '/', undefined, { authorization });
      expect(page.status).toBe(200);
      expect(page.body).toContain('id="task-served"');
    }
    // Basic auth is for the browser's page only: the API keeps to bearer tokens.
    expect((await s.call('GET', '/v1/tasks', undefined, { authorization: basic('anyone', TOKEN) })).status).toBe(401);
    expect((await s.call('GET', '/metrics', undefined, { authorization: '' })).status).toBe(200);
  });

  it('answers 413 to a body over the limit', async () => {
    const res = await predict('x'.repeat(3 * 1024 * 1024));
    expect(res.status).toBe(413);
  });
});

describe('feedback', () => {
  it('takes feedback by prediction id once Temporal has it; a repeat is a duplicate, counted once', async () => {
    const p = await predict(texts[1] as string);
    const wrong = p.body.outputs.sentiment === 'positive' ? 'negative' : 'positive';
    const first = await feedback('feedback', { predictionId: p.body.predictionId, correct: { sentiment: wrong } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ predictionId: p.body.predictionId, accepted: true, duplicate: false });
    const again = await feedback('feedback', { predictionId: p.body.predictionId, correct: { sentiment: wrong } });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ predictionId: p.body.predictionId, accepted: false, duplicate: true });

    const status = await waitForStatus(learnerHandle, (st) => st.counters.received >= 1 && st.buffered === 0);
    expect(status.counters).toMatchObject({ received: 1, corrections: 1, rejected: 0 });
    const stored = (await h.store.listFeedback('served')).filter((r) => r.predictionId === p.body.predictionId);
    expect(stored).toEqual([expect.objectContaining({ input: { text: texts[1] }, predicted: p.body.outputs, correct: { sentiment: wrong }, versionId: baseline })]);
  });

  it('takes concurrent feedback on one prediction once: one request accepted, the others duplicates', async () => {
    const p = await predict(texts[3] as string);
    const before = (await waitForStatus(learnerHandle, (st) => st.buffered === 0)).counters.received;
    // Sent together, they share a delivery batch: the receipts transaction decides which one is first.
    const answers = await Promise.all(Array.from({ length: 5 }, () => feedback('feedback', { predictionId: p.body.predictionId, correct: p.body.outputs })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers.filter((a) => a.body.accepted)).toHaveLength(1);
    expect(answers.filter((a) => a.body.duplicate)).toHaveLength(4);
    const after = await waitForStatus(learnerHandle, (st) => st.buffered === 0 && st.counters.received >= before + 1);
    expect(after.counters.received).toBe(before + 1);
  });

  it('refuses bad bodies with 400 naming the field, unknown prediction ids with 404', async () => {
    const p = await predict(texts[2] as string);
    const cases: [unknown, string][] = [
      [{ correct: { sentiment: 'positive' } }, 'predictionId'],
      [{ predictionId: p.body.predictionId }, 'correct'],
      [{ predictionId: p.body.predictionId, correct: { sentiment: 'meh' } }, 'correct.sentiment'],
      [{ predictionId: p.body.predictionId, correct: { sentiment: 'positive', mood: 'x' } }, 'correct.mood'],
      [{ predictionId: 'elsewhere-1', correct: { sentiment: 'positive' }, input: { text: 'hi' } }, 'predicted'],
      [{ predictionId: 'elsewhere-1', correct: { sentiment: 'positive' }, input: { txt: 'hi' }, predicted: { sentiment: 'negative' } }, 'input.text'],
      [{ predictionId: p.body.predictionId, correct: { sentiment: 'positive' }, extra: 1 }, 'extra'],
      [{ predictionId: 'elsewhere-2', input: { text: 'x'.repeat(70_000) }, predicted: { sentiment: 'negative' }, correct: { sentiment: 'positive' } }, 'input.text'],
    ];
    for (const [body, field] of cases) {
      const res = await s.call('POST', '/v1/tasks/served/feedback', body);
      expect({ field, status: res.status, got: res.body.error?.field }).toEqual({ field, status: 400, got: field });
      expect(res.body.error.message).toContain(field);
    }
    const unknownId = await s.call('POST', '/v1/tasks/served/feedback', { predictionId: 'never-made', correct: { sentiment: 'positive' } });
    expect(unknownId.status).toBe(404);
    expect(unknownId.body.error).toMatchObject({ code: 'unknown_prediction', field: 'predictionId' });
    const unknownTask = await s.call('POST', '/v1/tasks/nope/feedback', { predictionId: p.body.predictionId, correct: { sentiment: 'positive' } });
    expect(unknownTask.status).toBe(404);
  });

  it('takes a batch (by id and full payloads) and counts every record once, duplicates included', async () => {
    const preds = await Promise.all(texts.slice(10, 210).map((t) => predict(t)));
    expect(preds.every((p) => p.status === 200)).toBe(true);
    const before = (await waitForStatus(learnerHandle, (st) => st.buffered === 0)).counters;
    const records: unknown[] = preds.map((p) => ({ predictionId: p.body.predictionId, correct: p.body.outputs }));
    records.push({ predictionId: 'made-elsewhere-1', input: { text: 'Review 1: the zorp' }, predicted: { sentiment: 'negative' }, correct: { sentiment: 'positive' } });
    records.push(records[0]); // repeated within the request
    const res = await feedback('feedback/batch', { records });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 201, duplicate: 1 });
    const again = await feedback('feedback/batch', { records: records.slice(0, 50) });
    expect(again.body).toMatchObject({ accepted: 0, duplicate: 50 });

    const after = await waitForStatus(learnerHandle, (st) => st.counters.received === before.received + 201 && st.buffered === 0);
    expect(after.counters.corrections).toBe(before.corrections + 1);
    expect((await h.store.listFeedback('served')).filter((r) => r.predictionId === 'made-elsewhere-1')).toHaveLength(1);

    const bad = await s.call('POST', '/v1/tasks/served/feedback/batch', { records: [records[1], { predictionId: 'x', correct: { sentiment: 'nope' } }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('records.1.correct.sentiment');
    const tooMany = await s.call('POST', '/v1/tasks/served/feedback/batch', { records: Array.from({ length: 1_001 }, () => records[1]) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.field).toBe('records');
  });
});

describe('tasks, health and readiness', () => {
  it('lists tasks and shows one with its versions, learner status and live metrics', async () => {
    const list = await s.call('GET', '/v1/tasks');
    expect(list.body.tasks).toEqual([{ name: 'served', activeVersion: baseline }]);
    const task = await s.call('GET', '/v1/tasks/served');
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ task: 'served', active: baseline, previous: null, candidate: null, learner: { task: 'served', activeVersion: baseline } });
    expect(task.body.versions).toEqual([expect.objectContaining({ versionId: baseline, createdAt: expect.any(Number), rolledBack: null })]);
    const [m] = task.body.metrics;
    expect(m).toMatchObject({ versionId: baseline, predictions: (await s.store.servingStats('served'))[0]?.predictions });
    expect(m.predictions).toBeGreaterThan(200);
    expect(m.feedbackRate).toBeCloseTo(m.corrections / m.predictions, 10);
    expect(m.latency.p50Ms).toBeGreaterThan(0);
    expect((await s.call('GET', '/v1/tasks/nope')).status).toBe(404);
  });

  it('is healthy and ready with the store and Temporal up', async () => {
    expect((await s.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await s.call('GET', '/readyz')).body).toEqual({ status: 'ready', store: 'ok', temporal: 'ok' });
  });
});

describe('/metrics', () => {
  const sample = (families: PromFamily[], name: string, labels: Record<string, string>) => {
    const family = families.find((f) => f.name === name);
    const found = family?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) ?? [];
    return found.reduce((sum, m) => sum + Number(m.value), 0);
  };

  it('parses as Prometheus text, and its numbers are the requests made', async () => {
    const res = await s.call('GET', '/metrics', undefined, { authorization: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(res.body as string);
    const v = { task: 'served', version: baseline };

    // This process's counters.
    expect(made.predictions).toBeGreaterThan(200);
    expect(sample(families, 'kkachi_predictions_total', { ...v, outcome: 'ok' })).toBe(made.predictions);
    expect(sample(families, 'kkachi_predictions_total', { ...v, outcome: 'failed' })).toBe(0);
    // This parser keeps a histogram's buckets but drops its labels and _count (one label set here, so +Inf is the count).
    const duration = families.find((f) => f.name === 'kkachi_prediction_duration_seconds');
    expect(Number(duration?.metrics[0]?.buckets?.['+Inf'])).toBe(made.predictions);
    expect(sample(families, 'kkachi_feedback_total', { task: 'served', outcome: 'accepted' })).toBe(made.accepted);
    expect(sample(families, 'kkachi_feedback_total', { task: 'served', outcome: 'duplicate' })).toBe(made.duplicate);
    expect(made).toMatchObject({ accepted: 203, duplicate: 56 });

    // The store's numbers per version: the learner has persisted every accepted record by now.
    await waitForStatus(learnerHandle, (st) => st.buffered === 0 && st.counters.received === made.accepted);
    const again = parsePrometheusTextFormat((await s.call('GET', '/metrics')).body as string);
    const stored = (await h.store.listFeedback('served')).filter((r) => r.versionId === baseline);
    const corrections = stored.filter((r) => r.predicted.sentiment !== r.correct.sentiment).length;
    expect(sample(again, 'kkachi_version_predictions', v)).toBe(made.predictions);
    expect(sample(again, 'kkachi_version_feedback', v)).toBe(stored.length);
    expect(sample(again, 'kkachi_version_corrections', v)).toBe(corrections);
    expect(sample(again, 'kkachi_version_feedback_rate', v)).toBeCloseTo(corrections / made.predictions, 10);
    expect(sample(again, 'kkachi_version_live_accuracy', v)).toBeCloseTo((stored.length - corrections) / stored.length, 10);
    expect(sample(again, 'kkachi_version_latency_ms', { ...v, stat: 'p50' })).toBeGreaterThan(0);
    expect(sample(again, 'kkachi_registry_pointer', { task: 'served', pointer: 'active', version: baseline })).toBe(1);
  });
});

describe("the learner's status", () => {
  it('carries the per-version numbers of GET /v1/tasks/:task and /metrics, refreshed after stored feedback', async () => {
    await waitForStatus(learnerHandle, (st) => st.buffered === 0 && st.counters.received === made.accepted);
    const stored = (await h.store.listFeedback('served')).filter((r) => r.versionId === baseline);
    const corrections = stored.filter((r) => r.predicted.sentiment !== r.correct.sentiment).length;
    // The snapshot follows stored feedback within seconds (a query cannot read the store itself).
    const status = await waitForStatus(learnerHandle, (st) => st.versions[0]?.feedback === stored.length, 30_000);
    expect(status.metricsAt).toEqual(expect.any(Number));
    expect(status.versions).toEqual([
      {
        versionId: baseline,
        createdAt: expect.any(Number),
        status: 'active',
        rolledBackReason: null,
        heldOut: null,
        heldOutChange: null,
        predictions: made.predictions,
        failures: 0,
        latency: { meanMs: expect.any(Number), p50Ms: expect.any(Number), p95Ms: expect.any(Number) },
        feedback: stored.length,
        corrections,
        feedbackRate: corrections / made.predictions,
        liveAccuracy: (stored.length - corrections) / stored.length,
      },
    ]);
    // One computation behind every view: the same numbers over HTTP.
    const task = await s.call('GET', '/v1/tasks/served');
    expect(task.body.metrics).toEqual(status.versions);
    expect(task.body.learner.versions).toEqual(status.versions);
  });
});
