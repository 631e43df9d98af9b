/**
 * The worker's Prometheus endpoint: a worker process started with KKACHI_METRICS_ADDRESS runs a
 * learner's cycle, and a scrape of /metrics parses and carries both the Temporal SDK's metrics and
 * Kkachi's own (cycles by decision, LM calls / tokens / latency by model, feedback, evaluation).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { feedbackSignal, learnerWorkflowId, optimizeNowUpdate } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { freePort } from '../support/temporal';
import { feedbackFor, keywordTask, setUpHarness, spawnWorkerProcess, waitForStatus, type Harness } from './harness';

let h: Harness;
let worker: ChildProcess | undefined;
let address: string;
beforeAll(async () => {
  h = await setUpHarness();
  address = `127.0.0.1:${await freePort()}`;
  worker = spawnWorkerProcess(h, { KKACHI_METRICS_ADDRESS: address });
}, 60_000);
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await once(worker, 'exit');
  }
  await h?.stop();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Prometheus text format: `name{a="x",b="y"} value` lines; comments skipped; every line must parse.
 * (parse-prometheus-text-format, which the serving test uses, drops the labels of labelled histograms.)
 */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

it('serves the SDK metrics and Kkachi’s counters and histograms after a cycle', async () => {
  const spec = keywordTask('metered', h.double.baseURL, { triggers: { corrections: 1_000 } });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId('metered'), args: [spec] });
  await waitForStatus(handle, (s) => s.activeVersion !== null, 60_000);
  for (let i = 0; i < 3; i++) await handle.signal(feedbackSignal, feedbackFor(i));
  await handle.signal(feedbackSignal, feedbackFor(0)); // a duplicate
  await waitForStatus(handle, (s) => s.counters.received === 3 && s.buffered === 0, 60_000);
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'telemetry test' }] });
  const done = await waitForStatus(handle, (s) => s.cycles[0] !== undefined && s.cycles[0].decision !== 'running', 120_000);
  const decision = done.cycles[0]?.decision as string;
  await handle.terminate('test done');

  const response = await fetch(`http://${address}/metrics`);
  expect(response.status).toBe(200);
  const samples = parseMetrics(await response.text());
  // The SDK's own metrics.
  expect(total(samples, 'temporal_workflow_completed')).toBeGreaterThan(0);
  expect(samples.some((s) => s.name.startsWith('temporal_activity_execution_latency'))).toBe(true);
  // Kkachi's (the SDK adds its labels: namespace, taskQueue, activityType / workflowType).
  expect(total(samples, 'kkachi_cycles', { task: 'metered', decision, workflowType: 'optimizationCycle' })).toBe(1);
  expect(total(samples, 'kkachi_feedback_records', { task: 'metered', outcome: 'stored' })).toBe(3);
  const lmModels = new Set(samples.filter((s) => s.name === 'kkachi_lm_calls').map((s) => s.labels.model));
  expect([...lmModels].every((m) => m?.startsWith('openai:keyword-oracle'))).toBe(true);
  const evalCalls = total(samples, 'kkachi_lm_calls', { activityType: 'evaluate' });
  expect(evalCalls).toBeGreaterThan(0);
  expect(total(samples, 'kkachi_lm_tokens', { kind: 'prompt' })).toBeGreaterThan(evalCalls);
  expect(total(samples, 'kkachi_lm_latency_count')).toBe(total(samples, 'kkachi_lm_calls'));
  // What the provider (the LM double) was asked is what was counted: every call the per-host cache did not answer.
  expect(total(samples, 'kkachi_lm_calls', { cached: 'false' })).toBe(h.double.requests.length);
  // Each scored row is one LM call (no cache shared between the two programs' prompts).
  expect(total(samples, 'kkachi_evaluation_rows', { task: 'metered' })).toBe(evalCalls);
  expect(total(samples, 'kkachi_evaluation_duration_count', { task: 'metered' })).toBe(2);
}, 240_000);
