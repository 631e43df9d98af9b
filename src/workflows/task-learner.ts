/**
 * The learner's state and message handlers, as an entity (Temporal's safe-message-handlers pattern):
 * `learner.ts` maps messages onto these methods and runs the process; everything it remembers lives
 * here, and `handOver()` is all that crosses continue-as-new.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  executeChild,
  isCancellation,
  log,
  patched,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  cycleWorkflowId,
  optimizeNowSchema,
  rollbackSchema,
  type CycleRecord,
  type CycleTrigger,
  type FeedbackBatchAck,
  type LearnerStatus,
  type OptimizeNowAck,
  type PointerChange,
  type VersionMetrics,
} from '../contract';
import { parseOrThrow } from '../core/errors';
import { parseSignature } from '../core/signature';
import type { TaskSpec } from '../core/task-spec';
import { storeActivities } from './activities';
import { optimizationCycle } from './cycle';
import { BOUNDED_CARRY_PATCH, emptyIntakeState, FeedbackIntake, STORE_ON_CANCEL_PATCH, type IntakeState } from './feedback';
import type { ActiveVersionChange } from './handover';
import { markProgress } from './search-attributes';

/** Cycles kept in state (and shown by `status`). */
export const MAX_CYCLES = 20;
/** Histories recorded before the learner re-read the registry ahead of each cycle replay without that read. */
export const REGISTRY_BEFORE_CYCLE_PATCH = 'registry-before-cycle';
/** Histories recorded before `status` carried per-version numbers replay without their refreshes. */
export const STATUS_METRICS_PATCH = 'status-version-metrics';
/** Histories recorded before a rollback could end a live canary replay without its registry read. */
export const CANARY_ROLLBACK_PATCH = 'rollback-ends-canary';
/** Versions `status` shows at most (the newest, plus the active one and the canary when older). */
export const STATUS_VERSIONS = 10;
/** Least time between two refreshes of those numbers while feedback keeps arriving. */
export const METRICS_MIN_INTERVAL_MS = 5_000;
/** Longest the numbers go unrefreshed: predictions alone never reach the learner, so a timer catches them up. */
export const METRICS_MAX_AGE_MS = 5 * 60_000;
/**
 * A run continues as new when Temporal suggests it, or at the latest at these sizes (Temporal's own
 * warning thresholds), far from the 50 MB / 51,200-event limits at which the server closes a run: the
 * headroom absorbs what arrives while the buffer is stored down to the carry bounds.
 */
export const RUN_HISTORY_BYTES = 10 * 1024 * 1024;
export const RUN_HISTORY_EVENTS = 10_240;

/** What one run of the learner hands to the next across continue-as-new. */
export interface LearnerState {
  activeVersion: string | null;
  /** Workflow time the learner last saw `active` change; live accuracy is measured from here. */
  activeSince: number;
  intake: IntakeState;
  cycles: CycleRecord[];
  nextCycle: number;
  /** Start of the last cycle (or of the learner): the retrain interval counts from here. */
  lastCycleAt: number;
  manualRequested: boolean;
  generation: number;
  /** The last per-version monitoring snapshot `status` shows (absent in runs recorded before it existed). */
  metrics?: { versions: VersionMetrics[]; at: number };
}

/** The cycle under way: its record (filled in as the rollout reports) and the scope that cancels it. */
interface RunningCycle {
  record: CycleRecord;
  scope: CancellationScope;
  /** Set when an operator rolled back the version this cycle's rollout is monitoring. */
  rollbackReason?: string;
}

export class TaskLearner {
  readonly intake: FeedbackIntake;
  private readonly state: LearnerState;
  private readonly task: string;
  /** Set once the learner is about to continue as new: background loops finish. */
  private stopping = false;
  /** A batch was persisted since the last look at live accuracy. */
  private driftCheckDue = false;
  /** Live accuracy of the active version fell under the floor. */
  private drift = false;
  /** Feedback was stored or a cycle ended since the last monitoring snapshot. */
  private metricsStale = false;
  private running: RunningCycle | null = null;
  /** Feedback messages (single or batch signals, batch updates) this run has taken. */
  private signalsThisRun = 0;

  constructor(
    private readonly spec: TaskSpec,
    private readonly workflowId: string,
    carried?: LearnerState,
  ) {
    this.task = spec.name;
    this.state = carried ?? {
      activeVersion: null,
      activeSince: Date.now(),
      intake: emptyIntakeState(),
      cycles: [],
      nextCycle: 1,
      lastCycleAt: Date.now(),
      manualRequested: false,
      generation: 0,
    };
    this.intake = new FeedbackIntake(this.task, parseSignature(spec.signature), this.state.intake, {
      maxRecordBytes: spec.limits.feedbackBytes,
      closing: () => this.stopping,
      onPersisted: (_records, active) => {
        this.driftCheckDue = true;
        this.metricsStale = true;
        // The registry's pointer, read as the records were stored: another writer (a pipeline, an
        // operator) may have moved it. A read racing a rollout's own move is corrected by the next one.
        if (active && !this.running) this.setActive(active, 'registry');
      },
    });
  }

  // ── message handlers ───────────────────────────────────────────────────────────────────────────

  /** `feedback`: validated and buffered (a malformed one is counted as rejected). */
  feedback(raw: unknown): void {
    this.signalsThisRun += 1;
    this.intake.offer(raw);
  }

  /** `feedbackBatch` and `submitFeedbackBatch`: each record as if it came alone. */
  feedbackBatch(raw: unknown): FeedbackBatchAck {
    this.signalsThisRun += 1;
    return this.intake.offerBatch(raw);
  }

  /** `optimizeNow`: the next cycle starts as soon as none is running. */
  optimizeNow(raw: unknown): OptimizeNowAck {
    const request = parseOrThrow(optimizeNowSchema, raw);
    log.info('optimization requested', { task: this.task, reason: request?.reason ?? '' });
    this.state.manualRequested = true;
    return { cycle: this.state.nextCycle };
  }

  /** `rollback`: end this learner's live canary, or else make the last version that served well active again. */
  async rollback(raw: unknown): Promise<PointerChange> {
    const { reason } = parseOrThrow(rollbackSchema, raw);
    const endedCanary = await this.rollBackCanary(reason);
    if (endedCanary) return endedCanary;
    const from = this.state.activeVersion;
    if (from === null) throw ApplicationFailure.nonRetryable('rollback: the task has no active version yet');
    const change = await storeActivities.restorePrevious(this.task, { fromVersionId: from, actor: 'operator', reason });
    if (!change.changed && change.active === from) {
      throw ApplicationFailure.nonRetryable(`rollback: no version served before ${from} that was not rolled back since`);
    }
    if (change.active) this.setActive(change.active, `operator rollback: ${reason}`);
    if (change.changed) this.markRolledBack(from, reason);
    return change;
  }

  /** `activeVersionChanged` from this learner's rollout. */
  activeVersionChanged({ versionId, reason, gate }: ActiveVersionChange): void {
    // The first move during a cycle is its promotion: remember what it promoted and why.
    if (this.running && this.running.record.candidateVersion === null) this.running.record.candidateVersion = versionId;
    if (this.running && gate) this.running.record.gate = gate;
    this.setActive(versionId, reason);
  }

  /** `status`. */
  status(): LearnerStatus {
    return {
      task: this.task,
      activeVersion: this.state.activeVersion,
      counters: { ...this.state.intake.counters },
      pendingCorrections: this.state.intake.pendingCorrections,
      buffered: this.state.intake.buffer.length,
      cycles: this.state.cycles,
      running: this.running !== null,
      generation: this.state.generation,
      versions: this.state.metrics?.versions ?? [],
      metricsAt: this.state.metrics?.at ?? null,
    };
  }

  // ── the process ────────────────────────────────────────────────────────────────────────────────

  /** A new task's baseline becomes its active version; a carried-over learner already has one. */
  async ensureActiveVersion(): Promise<void> {
    if (this.state.activeVersion === null) {
      const baseline = await storeActivities.ensureBaseline(this.spec);
      this.setActive(baseline.active, 'baseline');
    }
    markProgress({ task: this.task, stage: 'listening', activeVersion: this.state.activeVersion });
  }

  /**
   * Persisting feedback in batches, keeping `status`'s per-version numbers fresh and, with an accuracy
   * floor, watching live accuracy: all run until `stop()`. The promise is awaited there; if the learner is cancelled the trigger loop throws
   * first, and this promise's CancelledFailure must not become an unhandled rejection (a failed
   * workflow task).
   */
  startBackground(): Promise<unknown> {
    const floor = this.spec.triggers.accuracyFloor;
    const background = Promise.all([
      this.intake.run(() => this.stopping),
      floor === undefined ? Promise.resolve() : this.watchDrift(floor),
      patched(STATUS_METRICS_PATCH) ? this.refreshMetrics() : Promise.resolve(),
    ]);
    background.catch(() => undefined);
    return background;
  }

  /** The next cycle's trigger, or null when it is time to continue as new. */
  async nextTrigger(): Promise<CycleTrigger | null> {
    const { triggers } = this.spec;
    for (;;) {
      const due = this.dueTrigger();
      if (due) return due;
      if (this.runIsFull()) return null;
      const hadFeedback = this.state.intake.pendingFeedback > 0;
      const wake = (): boolean => this.dueTrigger() !== null || this.runIsFull() || this.state.intake.pendingFeedback > 0 !== hadFeedback;
      // The retrain timer only runs while there is new feedback to learn from.
      if (hadFeedback) await condition(wake, Math.max(1, this.state.lastCycleAt + triggers.retrainInterval - Date.now()));
      else await condition(wake);
    }
  }

  /** One optimization cycle as a child workflow; its outcome (or failure) goes into the cycle record. */
  async runCycle(trigger: CycleTrigger): Promise<void> {
    const record = this.beginCycle(trigger);
    // The cycle improves on what is in service, whoever put it there (a pipeline, an operator).
    if (patched(REGISTRY_BEFORE_CYCLE_PATCH)) {
      const { active } = await storeActivities.activeVersion(this.task);
      if (active) this.setActive(active, 'registry');
    }
    const scope = new CancellationScope();
    const running: RunningCycle = { record, scope };
    this.running = running;
    try {
      const result = await scope.run(() =>
        executeChild(optimizationCycle, {
          workflowId: cycleWorkflowId(this.workflowId, record.cycle),
          args: [{ spec: this.spec, cycle: record.cycle, trigger, activeVersionId: this.state.activeVersion as string, notifyWorkflowId: this.workflowId }],
        }),
      );
      Object.assign(record, { candidateVersion: result.candidateVersion, gate: result.gate, decision: result.decision, reason: result.reason });
      if (result.valWarning) record.valWarning = result.valWarning;
    } catch (err) {
      if (running.rollbackReason !== undefined && isCancellation(err)) {
        Object.assign(record, { decision: 'rolled-back', reason: `operator rollback: ${running.rollbackReason}` });
      } else {
        Object.assign(record, { decision: 'failed', reason: failureReason(err) });
        log.error('cycle failed', { task: this.task, cycle: record.cycle, error: record.reason });
      }
    } finally {
      record.finishedAt = Date.now();
      this.running = null;
      this.metricsStale = true;
    }
    upsertMemo({ lastCycle: `cycle ${record.cycle} (${trigger}): ${record.decision} — ${record.reason}` });
    markProgress({ stage: 'listening', activeVersion: this.state.activeVersion });
  }

  /**
   * On cancellation: refuse new feedback (closing) and store every record accepted so far — the buffer
   * and chunks under way — so cancelling a learner never loses acknowledged feedback.
   */
  async storeAcceptedOnCancel(): Promise<void> {
    if (!patched(STORE_ON_CANCEL_PATCH)) return;
    this.stopping = true;
    await CancellationScope.nonCancellable(async () => {
      do await this.intake.flush();
      while (this.state.intake.buffer.length > 0);
    });
  }

  /** Ends the background loops (the intake flushes one last time). */
  async stop(background: Promise<unknown>): Promise<void> {
    this.stopping = true;
    await background;
  }

  /**
   * Waits until every handler is done and what is buffered fits the carry bounds. Signals keep coming
   * while the last chunks are stored, so the check runs in the same activation that continues as new:
   * signals the server takes meanwhile make it refuse that continue-as-new, and the replayed
   * activation sees them and stores more first.
   */
  async readyToHandOver(): Promise<void> {
    for (;;) {
      await condition(allHandlersFinished);
      if (this.intake.withinCarry() || !patched(BOUNDED_CARRY_PATCH)) return;
      await this.intake.drainToCarry();
    }
  }

  /** The state for the next run; feedback that arrived after the last flush is still in `intake.buffer` and travels along. */
  handOver(): LearnerState {
    this.state.generation += 1;
    log.info('continuing as new', { task: this.task, generation: this.state.generation, counters: this.state.intake.counters });
    return this.state;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  private setActive(versionId: string, why: string): void {
    if (versionId === this.state.activeVersion) return;
    log.info('active version changed', { task: this.task, from: this.state.activeVersion, to: versionId, why });
    this.state.activeVersion = versionId;
    this.state.activeSince = Date.now();
    markProgress({ activeVersion: versionId });
  }

  /**
   * A rollback while this learner's rollout runs a live canary: the candidate leaves the canary (all
   * traffic back on the active version, which never moved) and is marked rolled back before the handler
   * returns; the rollout is cancelled and the cycle then reads `rolled-back`. Null when no canary runs.
   */
  private async rollBackCanary(reason: string): Promise<PointerChange | null> {
    const running = this.running;
    if (!running || !patched(CANARY_ROLLBACK_PATCH)) return null;
    const { canary } = await storeActivities.activeVersion(this.task);
    if (!canary) return null;
    const change = await storeActivities.rollBackCanary(this.task, { versionId: canary.versionId, actor: 'operator', reason });
    // Promoted to all traffic meanwhile: that is an ordinary rollback of the active version.
    if (change.active === canary.versionId) return null;
    running.record.candidateVersion ??= canary.versionId;
    running.rollbackReason = reason;
    running.scope.cancel();
    return { ...change, canaryRolledBack: canary.versionId };
  }

  /** The cycle that promoted `version` now reads `rolled-back`; a rollout still monitoring it has nothing left to watch. */
  private markRolledBack(version: string, reason: string): void {
    if (this.running && this.running.record.candidateVersion === version) {
      this.running.rollbackReason = reason;
      this.running.scope.cancel();
      return;
    }
    const promotedBy = [...this.state.cycles].reverse().find((c) => c.candidateVersion === version && c.decision === 'promoted');
    if (promotedBy) Object.assign(promotedBy, { decision: 'rolled-back', reason: `operator rollback: ${reason} (was: ${promotedBy.reason})` });
  }

  /** Time to continue as new: Temporal suggests it, or this run reached its own budget of history or signals. */
  private runIsFull(): boolean {
    const { continueAsNewSuggested, historySize, historyLength } = workflowInfo();
    return (
      continueAsNewSuggested || historySize >= RUN_HISTORY_BYTES || historyLength >= RUN_HISTORY_EVENTS || this.signalsThisRun >= this.spec.limits.signalsPerRun
    );
  }

  private dueTrigger(): CycleTrigger | null {
    const { intake, manualRequested, lastCycleAt } = this.state;
    const { triggers } = this.spec;
    if (manualRequested) return 'manual';
    if (intake.pendingCorrections >= triggers.corrections) return 'corrections';
    if (this.drift) return 'drift';
    if (intake.pendingFeedback > 0 && Date.now() - lastCycleAt >= triggers.retrainInterval) return 'interval';
    return null;
  }

  private beginCycle(trigger: CycleTrigger): CycleRecord {
    const record: CycleRecord = {
      cycle: this.state.nextCycle++,
      trigger,
      candidateVersion: null,
      gate: null,
      decision: 'running',
      reason: '',
      startedAt: Date.now(),
      finishedAt: null,
    };
    this.state.cycles.push(record);
    if (this.state.cycles.length > MAX_CYCLES) this.state.cycles.shift();
    this.state.manualRequested = false;
    this.state.lastCycleAt = record.startedAt;
    this.drift = false;
    this.intake.resetPending();
    markProgress({ stage: 'optimizing' });
    log.info('cycle starting', { task: this.task, cycle: record.cycle, trigger });
    return record;
  }

  /**
   * The per-version snapshot `status` shows: taken at the start of a run, after stored feedback or a
   * finished cycle (at most every METRICS_MIN_INTERVAL_MS, so a flood of feedback costs one read per
   * interval), and at least every METRICS_MAX_AGE_MS.
   */
  private async refreshMetrics(): Promise<void> {
    for (;;) {
      this.metricsStale = false;
      const versions = await storeActivities.versionMetrics(this.task, { limit: STATUS_VERSIONS });
      const at = Date.now();
      this.state.metrics = { versions, at };
      await condition(() => this.metricsStale || this.stopping, METRICS_MAX_AGE_MS);
      const wait = at + METRICS_MIN_INTERVAL_MS - Date.now();
      if (!this.stopping && wait > 0) await condition(() => this.stopping, wait);
      if (this.stopping) return;
    }
  }

  /** With an accuracy floor, every persisted batch prompts a look at the active version's live accuracy. */
  private async watchDrift(floor: number): Promise<void> {
    for (;;) {
      await condition(() => this.driftCheckDue || this.stopping);
      if (this.stopping) return;
      this.driftCheckDue = false;
      if (this.running || this.state.activeVersion === null) continue;
      const sinceMs = Math.max(this.state.activeSince, this.state.lastCycleAt);
      const live = await storeActivities.liveMetrics(this.task, { versionId: this.state.activeVersion, sinceMs });
      if (live.n >= this.spec.triggers.minLiveSamples && live.accuracy !== null && live.accuracy < floor) {
        log.warn('live accuracy under the floor', { task: this.task, accuracy: live.accuracy, n: live.n, floor });
        this.drift = true;
      }
    }
  }
}

/** Why a cycle failed: a cancellation anywhere in the failure chain, else its innermost message. */
function failureReason(err: unknown): string {
  let message = String(err);
  for (let current = err as { message?: string; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (current instanceof CancelledFailure) return 'cancelled: the cycle or its rollout was cancelled';
    if (current.message) message = current.message;
  }
  return message;
}
