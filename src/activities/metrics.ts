/**
 * Kkachi's own metrics, recorded through the activity's Temporal metric meter: they come out of the
 * worker's Prometheus endpoint (KKACHI_METRICS_ADDRESS) next to the SDK's `temporal_*`, each with the
 * SDK's labels (namespace, taskQueue, activityType or workflowType) added.
 * Outside a worker with metrics configured the meter is a no-op.
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import { embedThrough, type ChatMessage, type Completion, type CompletionOptions, type LM } from '../core/lm/types';

function meter(): MetricMeter {
  return Context.current().metricMeter;
}

/** Counts each completion by model (cache hits apart), its tokens and its latency. */
export class MeteredActivityLM implements LM {
  readonly id: string;
  readonly embed: LM['embed'];

  constructor(private readonly inner: LM) {
    this.id = inner.id;
    this.embed = embedThrough(inner);
  }

  async complete(messages: ChatMessage[], options?: CompletionOptions): Promise<Completion> {
    const m = meter();
    const model = { model: this.id };
    try {
      const completion = await this.inner.complete(messages, options);
      m.createCounter('kkachi_lm_calls', 'calls', 'LM completions, by model; cached: answered by the response cache').add(1, { ...model, cached: String(completion.cached) });
      if (!completion.cached) {
        const tokens = m.createCounter('kkachi_lm_tokens', 'tokens', 'tokens billed by the LM provider, by model and kind');
        tokens.add(completion.usage.promptTokens, { ...model, kind: 'prompt' });
        tokens.add(completion.usage.completionTokens, { ...model, kind: 'completion' });
      }
      m.createHistogram('kkachi_lm_latency', 'float', 'ms', 'provider latency per completion, by model').record(completion.latencyMs, model);
      return completion;
    } catch (err) {
      m.createCounter('kkachi_lm_errors', 'calls', 'LM completions that failed, by model').add(1, model);
      throw err;
    }
  }
}

/** Feedback records persisted by a learner: stored, or recognised as a duplicate of one stored before. */
export function recordFeedback(task: string, inserted: number, duplicates: number): void {
  const records = meter().createCounter('kkachi_feedback_records', 'records', 'feedback records persisted, by task and outcome');
  records.add(inserted, { task, outcome: 'stored' });
  records.add(duplicates, { task, outcome: 'duplicate' });
}

/** One evaluation attempt: rows it scored and how long it took (throughput = rows / duration). */
export function recordEvaluation(task: string, rows: number, ms: number): void {
  const m = meter();
  m.createCounter('kkachi_evaluation_rows', 'rows', 'examples scored by evaluations, by task').add(rows, { task });
  m.createHistogram('kkachi_evaluation_duration', 'float', 'ms', 'wall time of one evaluation attempt, by task').record(ms, { task });
}
