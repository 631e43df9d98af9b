/**
 * `/metrics` in Prometheus' text format. Two kinds of numbers:
 * - this process's counters (`kkachi_predictions_total`, `kkachi_prediction_duration_seconds`,
 *   `kkachi_feedback_total`), which Prometheus sums over replicas;
 * - the seed's monitoring numbers per task and version from the shared store (`kkachi_version_*`):
 *   predictions, corrections, feedback rate, live accuracy, latency mean/p50/p95, held-out accuracy —
 *   the same for every replica, read at scrape time by `versionMetrics`, the function behind
 *   `GET /v1/tasks/:task`, the dashboard and the learner's `status`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { versionMetrics, type MonitoringStore } from '../store/monitoring';
import type { Store } from '../store/types';

export type MetricsStore = MonitoringStore & Pick<Store, 'listTasks' | 'getPointers'>;

type VersionLabels = 'task' | 'version';

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly predictions: Counter<VersionLabels | 'outcome'>;
  private readonly duration: Histogram<VersionLabels>;
  private readonly feedback: Counter<'task' | 'outcome'>;
  private readonly version: Record<'predictions' | 'failures' | 'feedback' | 'corrections' | 'feedbackRate' | 'liveAccuracy' | 'heldOut', Gauge<VersionLabels>>;
  private readonly latency: Gauge<VersionLabels | 'stat'>;
  private readonly pointer: Gauge<'task' | 'pointer' | 'version'>;

  constructor(private readonly store: MetricsStore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.predictions = new Counter({ name: 'kkachi_predictions_total', help: 'Predictions answered by this process', labelNames: ['task', 'version', 'outcome'], registers });
    this.duration = new Histogram({
      name: 'kkachi_prediction_duration_seconds',
      help: 'Prediction latency in this process (version choice, program and LM call)',
      labelNames: ['task', 'version'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.feedback = new Counter({ name: 'kkachi_feedback_total', help: 'Feedback records taken by this process (accepted or duplicate)', labelNames: ['task', 'outcome'], registers });
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['task', 'version'], registers });
    this.version = {
      predictions: gauge('kkachi_version_predictions', 'Predictions in the prediction log, all processes'),
      failures: gauge('kkachi_version_prediction_failures', 'Logged predictions that failed (LM error or unparseable reply)'),
      feedback: gauge('kkachi_version_feedback', 'Feedback records persisted by the learner'),
      corrections: gauge('kkachi_version_corrections', 'Persisted feedback that corrects the prediction'),
      feedbackRate: gauge('kkachi_version_feedback_rate', 'Corrections / predictions'),
      liveAccuracy: gauge('kkachi_version_live_accuracy', 'Confirmations / feedback'),
      heldOut: gauge('kkachi_version_heldout_accuracy', "Pass rate of the version's latest held-out evaluation (the gate's measurement)"),
    };
    this.latency = new Gauge({ name: 'kkachi_version_latency_ms', help: 'Latency of recent logged predictions (stat: mean, p50, p95)', labelNames: ['task', 'version', 'stat'], registers });
    this.pointer = new Gauge({ name: 'kkachi_registry_pointer', help: 'Which version each registry pointer names (1)', labelNames: ['task', 'pointer', 'version'], registers });
  }

  observePrediction(task: string, version: string, ok: boolean, latencyMs: number): void {
    this.predictions.inc({ task, version, outcome: ok ? 'ok' : 'failed' });
    this.duration.observe({ task, version }, latencyMs / 1000);
  }

  observeFeedback(task: string, accepted: number, duplicate: number): void {
    if (accepted > 0) this.feedback.inc({ task, outcome: 'accepted' }, accepted);
    if (duplicate > 0) this.feedback.inc({ task, outcome: 'duplicate' }, duplicate);
  }

  /** Reads the store's numbers, then renders everything. */
  async render(): Promise<string> {
    const tasks = await this.store.listTasks();
    const snapshot = await Promise.all(tasks.map(async (task) => ({ task, pointers: await this.store.getPointers(task), stats: await versionMetrics(this.store, task) })));
    for (const g of [...Object.values(this.version), this.latency, this.pointer]) g.reset();
    for (const { task, pointers, stats } of snapshot) {
      for (const [pointer, version] of Object.entries(pointers)) if (version) this.pointer.set({ task, pointer, version }, 1);
      for (const s of stats) {
        const labels = { task, version: s.versionId };
        this.version.predictions.set(labels, s.predictions);
        this.version.failures.set(labels, s.failures);
        this.version.feedback.set(labels, s.feedback);
        this.version.corrections.set(labels, s.corrections);
        if (s.feedbackRate !== null) this.version.feedbackRate.set(labels, s.feedbackRate);
        if (s.liveAccuracy !== null) this.version.liveAccuracy.set(labels, s.liveAccuracy);
        if (s.heldOut !== null) this.version.heldOut.set(labels, s.heldOut);
        if (s.latency) {
          this.latency.set({ ...labels, stat: 'mean' }, s.latency.meanMs);
          this.latency.set({ ...labels, stat: 'p50' }, s.latency.p50Ms);
          this.latency.set({ ...labels, stat: 'p95' }, s.latency.p95Ms);
        }
      }
    }
    return this.registry.metrics();
  }
}
