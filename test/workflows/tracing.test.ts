/**
 * OpenTelemetry tracing across client, workflow and activities on a real dev server: a client with the
 * tracing plugin starts an optimization cycle, a worker with the same plugin runs it, and every span —
 * the client's start, the workflow's run, the activities it schedules and their executions, the rollout
 * child — lands in one trace with the right parents (in-memory exporter; OTLP in production).
 */
import { Client } from '@temporalio/client';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createActivities } from '../../src/activities';
import type { CycleInput, CycleResult } from '../../src/contract';
import { parseTaskSpec } from '../../src/core/task-spec';
import { otlpTracesUrl, startTracing, WORKFLOW_TRACING_MODULE, type Tracing } from '../../src/temporal/tracing';
import { bundleWorkflows } from '../support/temporal';
import { keywordTask, setUpHarness, type Harness } from './harness';

let h: Harness;
let tracing: Tracing;
const exporter = new InMemorySpanExporter();
beforeAll(async () => {
  h = await setUpHarness();
  tracing = startTracing(new SimpleSpanProcessor(exporter), 'kkachi-test');
}, 60_000);
afterAll(async () => {
  await tracing?.shutdown();
  await h?.stop();
});

const parentOf = (span: ReadableSpan, spans: ReadableSpan[]) => spans.find((s) => s.spanContext().spanId === span.parentSpanId);
const named = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length} among ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
};

it('one trace spans the client start, the cycle workflow, its activities and its rollout child', async () => {
  const spec = keywordTask('traced', h.double.baseURL);
  const { versionId } = await createActivities({ store: h.store, cacheDir: null }).ensureBaseline(parseTaskSpec(spec));
  const worker = await h.worker({ workflowBundle: await bundleWorkflows({ interceptorModules: [WORKFLOW_TRACING_MODULE] }), plugins: [tracing.plugin] });
  const client = new Client({ connection: h.env.client.connection, namespace: h.env.namespace, plugins: [tracing.plugin] });
  const input: CycleInput = { spec, cycle: 1, trigger: 'manual', activeVersionId: versionId };
  const result = await worker.runUntil(client.workflow.execute<(i: CycleInput) => Promise<CycleResult>>('optimizationCycle', { taskQueue: h.taskQueue, workflowId: 'traced-cycle', args: [input] }));
  expect(result.decision).toBe('promoted');

  const spans = exporter.getFinishedSpans();
  const start = named(spans, 'StartWorkflow:optimizationCycle');
  expect(start.parentSpanId).toBeUndefined();
  const traceId = start.spanContext().traceId;
  expect(spans.every((s) => s.spanContext().traceId === traceId)).toBe(true);

  const run = named(spans, 'RunWorkflow:optimizationCycle');
  expect(parentOf(run, spans)).toBe(start);
  // Each activity the cycle schedules: scheduled in the workflow's span, executed as the child of that.
  for (const activity of ['buildDataset', 'optimize', 'evaluate']) {
    const scheduled = spans.filter((s) => s.name === `StartActivity:${activity}`);
    expect(scheduled.length).toBeGreaterThan(0);
    for (const s of scheduled) {
      expect(parentOf(s, spans)).toBe(run);
      const executed = spans.filter((e) => e.name === `RunActivity:${activity}` && e.parentSpanId === s.spanContext().spanId);
      expect(executed).toHaveLength(1);
    }
  }
  // The rollout child and its promote, one level further down.
  const child = named(spans, 'StartChildWorkflow:rollout');
  expect(parentOf(child, spans)).toBe(run);
  const rollout = named(spans, 'RunWorkflow:rollout');
  expect(parentOf(rollout, spans)).toBe(child);
  expect(parentOf(named(spans, 'RunActivity:promote'), spans)).toBe(named(spans, 'StartActivity:promote'));
  expect(parentOf(named(spans, 'StartActivity:promote'), spans)).toBe(rollout);
}, 120_000);

it('sends spans to the standard OTLP endpoint variables, and names a bad one', () => {
  expect(otlpTracesUrl({})).toBeNull();
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces' })).toBe('https://b/traces');
  expect(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/);
});
