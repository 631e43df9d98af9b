/**
 * OpenTelemetry tracing through Temporal's interceptors: a client's start (or signal, update) opens a
 * span and passes its context in the request's headers; the workflow's run, the activities and child
 * workflows it schedules, and each activity's execution on whichever worker runs it become its
 * descendants — one trace per request, across processes and hosts.
 *
 * Turned on by the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`):
 * spans go there over OTLP/HTTP, in batches. `OTEL_SERVICE_NAME` names the process (default: the
 * edge's own name), and the exporter reads `OTEL_EXPORTER_OTLP_HEADERS` itself (e.g. an API key).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export interface Tracing {
  /** Pass to `new Client({ plugins })` and to `createWorker({ plugins })`: both sides of the trace. */
  plugin: OpenTelemetryPlugin;
  /** Flushes spans still batched, then unregisters the process-wide tracer, context and propagator. */
  shutdown(): Promise<void>;
}

/** The module a pre-built workflow bundle must include (`workflowInterceptorModules`) for workflow spans. */
export const WORKFLOW_TRACING_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * Registers a tracer provider for this process (async-local context, W3C trace-context headers) whose
 * spans, and the workflows' spans (sent out of the sandbox through a sink), go to `spanProcessor`.
 */
export function startTracing(spanProcessor: SpanProcessor, serviceName: string): Tracing {
  const resource = new Resource({ 'service.name': serviceName });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor, tracer: provider.getTracer('kkachi') }),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Where spans go per the environment, or null when no OTLP endpoint is set (tracing off). */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | null {
  const [variable, value] = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]
    : ['OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT];
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${variable}: expected an http(s) URL such as http://collector:4318, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${variable}: expected an http(s) URL (OTLP over HTTP), got "${value}"`);
  // The signal-specific variable is the full URL; the general one is a base that gets the traces path (OTLP spec).
  return variable === 'OTEL_EXPORTER_OTLP_ENDPOINT' ? `${value.replace(/\/+$/, '')}/v1/traces` : value;
}

/** Tracing to the configured OTLP endpoint, or null when none is configured. */
export function tracingFromEnv(env: NodeJS.ProcessEnv, serviceName: string): Tracing | null {
  const url = otlpTracesUrl(env);
  if (!url) return null;
  return startTracing(new BatchSpanProcessor(new OTLPTraceExporter({ url })), env.OTEL_SERVICE_NAME || serviceName);
}
