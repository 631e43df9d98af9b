/**
 * The continuous learner: one per task, runs forever. It takes feedback (signal or update), persists
 * it in batches, and starts an optimization cycle (child workflow) when corrections reach the
 * threshold, when the retrain interval passes with new feedback, on `optimizeNow`, or when live
 * accuracy of the active version falls under the floor. It continues as new when Temporal suggests
 * it, carrying only small plain-JSON state.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  activeVersionChangedSchema,
  activeVersionChangedSignal,
  cycleWorkflowId,
  feedbackBatchSignal,
  feedbackSignal,
  optimizeNowSchema,
  optimizeNowUpdate,
  rollbackSchema,
  rollbackUpdate,
  statusQuery,
  submitFeedbackUpdate,
  type CycleRecord,
  type CycleTrigger,
  type LearnerStatus,
} from '../contract';
import { parseOrThrow } from '../core/errors';
import { parseSignature } from '../core/signature';
import { storeActivities } from './activities';
import { optimizationCycle } from './cycle';
import { emptyIntakeState, FeedbackIntake, type IntakeState } from './feedback';
import { markProgress } from './search-attributes';
import { requireTaskSpec, requireUsableSpec } from './spec';

/** Cycles kept in state (and shown by `status`). */
export const MAX_CYCLES = 20;
/** Histories recorded before the learner re-read the registry ahead of each cycle replay without that read. */
export const REGISTRY_BEFORE_CYCLE_PATCH = 'registry-before-cycle';

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
}

export async function learner(specInput: unknown, carried?: LearnerState): Promise<never> {
  const spec = requireTaskSpec(specInput);
  // Before the learner takes feedback or shows up as listening; later runs of it were checked already.
  if (carried === undefined) await requireUsableSpec(spec);
  const task = spec.name;
  const workflowId = workflowInfo().workflowId;
  const state: LearnerState = carried ?? {
    activeVersion: null,
    activeSince: Date.now(),
    intake: emptyIntakeState(),
    cycles: [],
    nextCycle: 1,
    lastCycleAt: Date.now(),
    manualRequested: false,
    generation: 0,
  };
  let stopping = false;
  let driftCheckDue = false;
  let drift = false;
  let running: { record: CycleRecord; scope: CancellationScope; rollbackReason?: string } | null = null;

  const setActive = (versionId: string, why: string): void => {
    if (versionId === state.activeVersion) return;
    log.info('active version changed', { task, from: state.activeVersion, to: versionId, why });
    state.activeVersion = versionId;
    state.activeSince = Date.now();
    markProgress({ activeVersion: versionId });
  };

  const intake = new FeedbackIntake(task, parseSignature(spec.signature), state.intake, {
    maxRecordBytes: spec.limits.feedbackBytes,
    onPersisted: (_records, active) => {
      driftCheckDue = true;
      // The registry's pointer, read as the records were stored: another writer (a pipeline, an
      // operator) may have moved it. A read racing a rollout's own move is corrected by the next one.
      if (active && !running) setActive(active, 'registry');
    },
  });

  setHandler(feedbackSignal, (raw) => intake.offer(raw));
  setHandler(feedbackBatchSignal, (raw) => intake.offerBatch(raw));
  setHandler(submitFeedbackUpdate, (raw) => intake.submit(raw), { validator: (raw) => intake.validateUpdate(raw) });
  /** The cycle that promoted `version` now reads `rolled-back`; a rollout still monitoring it has nothing left to watch. */
  const markRolledBack = (version: string, reason: string): void => {
    if (running && running.record.candidateVersion === version) {
      running.rollbackReason = reason;
      running.scope.cancel();
      return;
    }
    const promotedBy = [...state.cycles].reverse().find((c) => c.candidateVersion === version && c.decision === 'promoted');
    if (promotedBy) Object.assign(promotedBy, { decision: 'rolled-back', reason: `operator rollback: ${reason} (was: ${promotedBy.reason})` });
  };

  setHandler(
    optimizeNowUpdate,
    (raw) => {
      const request = parseOrThrow(optimizeNowSchema, raw);
      log.info('optimization requested', { task, reason: request?.reason ?? '' });
      state.manualRequested = true;
      return { cycle: state.nextCycle };
    },
    { validator: (raw) => void parseOrThrow(optimizeNowSchema, raw) },
  );
  setHandler(
    rollbackUpdate,
    async (raw) => {
      const { reason } = parseOrThrow(rollbackSchema, raw);
      const from = state.activeVersion;
      if (from === null) throw ApplicationFailure.nonRetryable('rollback: the task has no active version yet');
      const change = await storeActivities.restorePrevious(task, { fromVersionId: from, actor: 'operator', reason });
      if (!change.changed && change.active === from) {
        throw ApplicationFailure.nonRetryable(`rollback: no version served before ${from} that was not rolled back since`);
      }
      if (change.active) setActive(change.active, `operator rollback: ${reason}`);
      if (change.changed) markRolledBack(from, reason);
      return change;
    },
    { validator: (raw) => void parseOrThrow(rollbackSchema, raw) },
  );
  setHandler(activeVersionChangedSignal, (raw) => {
    try {
      const { versionId, reason, gate } = parseOrThrow(activeVersionChangedSchema, raw);
      // The first move during a cycle is its promotion: remember what it promoted and why.
      if (running && running.record.candidateVersion === null) running.record.candidateVersion = versionId;
      if (running && gate) running.record.gate = gate;
      setActive(versionId, reason);
    } catch (err) {
      log.warn('activeVersionChanged ignored', { error: (err as Error).message });
    }
  });
  setHandler(statusQuery, (): LearnerStatus => ({
    task,
    activeVersion: state.activeVersion,
    counters: { ...state.intake.counters },
    pendingCorrections: state.intake.pendingCorrections,
    buffered: state.intake.buffer.length,
    cycles: state.cycles,
    running: running !== null,
    generation: state.generation,
  }));

  if (state.activeVersion === null) {
    const baseline = await storeActivities.ensureBaseline(spec);
    setActive(baseline.active, 'baseline');
  }
  markProgress({ task, stage: 'listening', activeVersion: state.activeVersion });

  const dueTrigger = (): CycleTrigger | null => {
    if (state.manualRequested) return 'manual';
    if (state.intake.pendingCorrections >= spec.triggers.corrections) return 'corrections';
    if (drift) return 'drift';
    const intervalPassed = Date.now() - state.lastCycleAt >= spec.triggers.retrainInterval;
    if (state.intake.pendingFeedback > 0 && intervalPassed) return 'interval';
    return null;
  };

  /** The next cycle's trigger, or null when it is time to continue as new. */
  const nextTrigger = async (): Promise<CycleTrigger | null> => {
    for (;;) {
      const due = dueTrigger();
      if (due) return due;
      if (workflowInfo().continueAsNewSuggested) return null;
      const hadFeedback = state.intake.pendingFeedback > 0;
      const wake = (): boolean =>
        dueTrigger() !== null || workflowInfo().continueAsNewSuggested || state.intake.pendingFeedback > 0 !== hadFeedback;
      // The retrain timer only runs while there is new feedback to learn from.
      if (hadFeedback) await condition(wake, Math.max(1, state.lastCycleAt + spec.triggers.retrainInterval - Date.now()));
      else await condition(wake);
    }
  };

  const runCycle = async (trigger: CycleTrigger): Promise<void> => {
    const record: CycleRecord = {
      cycle: state.nextCycle++,
      trigger,
      candidateVersion: null,
      gate: null,
      decision: 'running',
      reason: '',
      startedAt: Date.now(),
      finishedAt: null,
    };
    state.cycles.push(record);
    if (state.cycles.length > MAX_CYCLES) state.cycles.shift();
    state.manualRequested = false;
    state.lastCycleAt = record.startedAt;
    drift = false;
    intake.resetPending();
    markProgress({ stage: 'optimizing' });
    log.info('cycle starting', { task, cycle: record.cycle, trigger });
    // The cycle improves on what is in service, whoever put it there (a pipeline, an operator).
    if (patched(REGISTRY_BEFORE_CYCLE_PATCH)) {
      const { active } = await storeActivities.activeVersion(task);
      if (active) setActive(active, 'registry');
    }

    const scope = new CancellationScope();
    running = { record, scope };
    try {
      const result = await scope.run(() =>
        executeChild(optimizationCycle, {
          workflowId: cycleWorkflowId(workflowId, record.cycle),
          args: [{ spec, cycle: record.cycle, trigger, activeVersionId: state.activeVersion as string, notifyWorkflowId: workflowId }],
        }),
      );
      Object.assign(record, { candidateVersion: result.candidateVersion, gate: result.gate, decision: result.decision, reason: result.reason });
    } catch (err) {
      const rollbackReason = running.rollbackReason;
      if (rollbackReason !== undefined && isCancellation(err)) {
        Object.assign(record, { decision: 'rolled-back', reason: `operator rollback: ${rollbackReason}` });
      } else {
        Object.assign(record, { decision: 'failed', reason: failureReason(err) });
        log.error('cycle failed', { task, cycle: record.cycle, error: record.reason });
      }
    } finally {
      record.finishedAt = Date.now();
      running = null;
    }
    upsertMemo({ lastCycle: `cycle ${record.cycle} (${trigger}): ${record.decision} — ${record.reason}` });
    markProgress({ stage: 'listening', activeVersion: state.activeVersion });
  };

  /** With an accuracy floor, every persisted batch prompts a look at the active version's live accuracy. */
  const watchDrift = async (floor: number): Promise<void> => {
    for (;;) {
      await condition(() => driftCheckDue || stopping);
      if (stopping) return;
      driftCheckDue = false;
      if (running || state.activeVersion === null) continue;
      const sinceMs = Math.max(state.activeSince, state.lastCycleAt);
      const live = await storeActivities.liveMetrics(task, { versionId: state.activeVersion, sinceMs });
      if (live.n >= spec.triggers.minLiveSamples && live.accuracy !== null && live.accuracy < floor) {
        log.warn('live accuracy under the floor', { task, accuracy: live.accuracy, n: live.n, floor });
        drift = true;
      }
    }
  };

  const background = Promise.all([
    intake.run(() => stopping),
    spec.triggers.accuracyFloor === undefined ? Promise.resolve() : watchDrift(spec.triggers.accuracyFloor),
  ]);
  // Awaited below; if the learner is cancelled the trigger loop throws first, and this promise's
  // CancelledFailure must not become an unhandled rejection (a failed workflow task).
  background.catch(() => undefined);
  for (let trigger = await nextTrigger(); trigger !== null; trigger = await nextTrigger()) {
    await runCycle(trigger);
  }

  stopping = true;
  await background;
  await condition(allHandlersFinished);
  state.generation += 1;
  log.info('continuing as new', { task, generation: state.generation, counters: state.intake.counters });
  // Feedback that arrived after the last flush is still in state.intake.buffer and travels along.
  return continueAsNew<typeof learner>(specInput, state);
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
