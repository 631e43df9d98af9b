/**
 * The worker's telemetry from the environment: with `KKACHI_METRICS_ADDRESS=host:port` the Temporal
 * runtime serves Prometheus metrics at http://host:port/metrics — the SDK's own (workflow and activity
 * task latencies, slots, polls, … as `temporal_*`) and Kkachi's (`kkachi_*`: cycles by decision, LM calls / tokens /
 * latency by model, feedback records, evaluation rows and duration; labelled with the task queue and
 * the activity or workflow type that recorded them).
 */
import type { TelemetryOptions } from '@temporalio/worker';

export function telemetryFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryOptions | undefined {
  const address = env.KKACHI_METRICS_ADDRESS;
  if (!address) return undefined;
  if (!/^[^\s:]+:\d+$/.test(address)) throw new Error(`KKACHI_METRICS_ADDRESS: expected host:port (e.g. 127.0.0.1:9464), got "${address}"`);
  return { metrics: { prometheus: { bindAddress: address } } };
}
