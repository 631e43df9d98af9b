/**
 * Tells the demo's story as it happens: one header per pipeline stage, what each stage did when it
 * ends (feedback collected, cycle metrics, deployment, held-out scores, the gate's decision), and
 * progress bars on stderr for the long parts (feedback, optimization, evaluation).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { ProgressBar } from '../ui/progress';
import { activityProgressSchema, PIPELINE_STAGES, type CycleMetrics, type PipelineProgress, type PipelineResult } from '../contract';
import type { SimulatorCounts } from './simulator';

export interface DemoEvents {
  /** One line of the story (stdout for people, stderr when stdout carries JSON). */
  line(text: string): void;
  /** A progress bar on stderr. */
  progress(label: string): ProgressBar;
}

const ACTIVITY_POLL_MS = 2_000;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const short = (id: string | null | undefined): string => (id ? id.slice(0, 12) : '-');
export const stageTitle = (stage: number): string => `${(PIPELINE_STAGES[stage - 1] ?? 'done').replace(/-/g, ' ')}`;

/** One progress bar at a time: asking for another label finishes the bar before it. */
export class BarSlot {
  private bar: ProgressBar | undefined;
  private label = '';

  constructor(private readonly open: (label: string) => ProgressBar) {}

  for(label: string): ProgressBar {
    if (this.bar && this.label === label) return this.bar;
    this.close();
    this.label = label;
    this.bar = this.open(label);
    return this.bar;
  }

  close(): void {
    this.bar?.finish();
    this.bar = undefined;
    this.label = '';
  }
}

export class StageReporter {
  private stage = 0;
  private stageStarted = Date.now();
  private readonly spans: { stage: number; name: string; seconds: number }[] = [];
  private readonly bars: BarSlot;
  private lastActivityPoll = 0;
  /** Simulator counts when the current stage began, so a stage reports only its own feedback. */
  private atStageStart = { sent: 0, corrections: 0 };
  private counts: SimulatorCounts | undefined;

  constructor(private readonly events: DemoEvents) {
    this.bars = new BarSlot((label) => events.progress(label));
  }

  say(text: string): void {
    this.bars.close();
    this.events.line(text);
  }

  observe(progress: PipelineProgress, activeVersion: string | null): void {
    const target = progress.stageName === 'done' ? PIPELINE_STAGES.length + 1 : progress.stage;
    // Quick stages (3: deploy) can start and end between two polls: tell each one anyway, in order.
    while (this.stage < target) this.advance(progress, activeVersion);
  }

  feedbackProgress(corrections: number, needed: number, stageSent: number, counts: SimulatorCounts): void {
    this.counts = counts;
    const correct = stageSent - corrections;
    this.bars.for(`[${this.stage}/7] corrections`).update({ done: Math.min(corrections, needed), total: needed, accuracy: stageSent > 0 ? correct / stageSent : null, note: `${stageSent} predictions` });
  }

  monitoringProgress(stageSent: number, counts: SimulatorCounts): void {
    this.counts = counts;
    this.bars.for('[7/7] monitoring').update({ done: stageSent, total: stageSent, note: 'live feedback on the promoted version' });
  }

  /** Optimization and evaluation progress from the pending activities' heartbeats (the contract's `ActivityProgress`). */
  async activityProgress(handle: WorkflowHandle, progress: PipelineProgress): Promise<void> {
    if (![2, 5, 6].includes(progress.stage) || Date.now() - this.lastActivityPoll < ACTIVITY_POLL_MS) return;
    this.lastActivityPoll = Date.now();
    let pending;
    try {
      pending = (await handle.describe()).raw.pendingActivities ?? [];
    } catch {
      return;
    }
    let done = 0;
    let total = 0;
    let correct = 0;
    let scored = 0;
    let kind = '';
    for (const activity of pending) {
      const payload = activity.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const beat = activityProgressSchema.safeParse(defaultPayloadConverter.fromPayload(payload));
      if (!beat.success) continue;
      const { stage } = beat.data;
      done += beat.data.done;
      total += beat.data.total;
      const name = activity.activityType?.name ?? '';
      kind = `${name}${stage !== name ? ` ${stage}` : ''}`;
      if (beat.data.correct !== undefined) {
        correct += beat.data.correct;
        scored += beat.data.done;
      }
    }
    if (total > 0) this.bars.for(`[${progress.stage}/7] ${kind}`).update({ done, total, accuracy: scored > 0 ? correct / scored : null });
  }

  finish(result: PipelineResult, activeVersion: string | null): void {
    this.observe(result, activeVersion);
    const rollout = result.rollout;
    this.say(
      rollout
        ? `  gate: ${rollout.decision} — ${rollout.reason}`
        : '  gate: not needed — the second cycle reproduced the program in service, which stays active',
    );
  }

  timings(): { stage: number; name: string; seconds: number }[] {
    return this.spans.slice();
  }

  close(): void {
    this.bars.close();
  }

  private advance(progress: PipelineProgress, activeVersion: string | null): void {
    const previous = this.stage;
    if (previous > 0) {
      this.spans.push({ stage: previous, name: PIPELINE_STAGES[previous - 1] as string, seconds: Math.round((Date.now() - this.stageStarted) / 100) / 10 });
      this.leave(previous, progress, activeVersion);
    }
    this.stage = previous + 1;
    this.stageStarted = Date.now();
    this.atStageStart = { sent: this.counts?.sent ?? 0, corrections: this.counts?.corrections ?? 0 };
    if (this.stage <= PIPELINE_STAGES.length) this.say(`[${this.stage}/7] ${stageTitle(this.stage)}`);
  }

  /** What the stage that just ended did. */
  private leave(stage: number, progress: PipelineProgress, activeVersion: string | null): void {
    if (stage === 1 || stage === 4) {
      const sent = (this.counts?.sent ?? 0) - this.atStageStart.sent;
      const corrections = (this.counts?.corrections ?? 0) - this.atStageStart.corrections;
      const accuracy = sent > 0 ? ` — live accuracy ${pct((sent - corrections) / sent)}` : '';
      this.say(`  users sent ${sent} feedback records on the deployed version: ${corrections} corrections, ${sent - corrections} confirmations${accuracy}`);
    }
    const cycle = stage === 2 ? progress.cycles[0] : stage === 5 ? progress.cycles[1] : undefined;
    if (cycle) this.showCycle(cycle);
    if (stage === 3) this.say(`  deployed ${short(progress.cycles[0]?.candidateVersion ?? activeVersion)}: the registry's active pointer moved; serving hot-swaps on the next request`);
    if (stage === 6) {
      for (const f of progress.final) {
        const cost = f.lmCalls === 0 ? 'every answer from the response cache (same prompts as an earlier evaluation)' : `p50 ${Math.round(f.p50Ms)} ms, ${f.lmCalls} LM calls`;
        this.say(`  ${f.label.padEnd(8)} ${short(f.versionId)}  held-out accuracy ${pct(f.accuracy)}, ${cost}`);
      }
    }
  }

  private showCycle(c: CycleMetrics): void {
    this.say(
      `  cycle ${c.cycle}: dataset ${c.train} train + ${c.val} val (${c.corrections} corrections so far) → ${c.optimizer} → ` +
        `candidate ${short(c.candidateVersion)} with ${c.demos} demos, val accuracy ${pct(c.valAccuracy)}, ${c.lmCalls} LM calls`,
    );
  }
}
