/**
 * `kkachi demo --example spam|qa`: a task's continuous learner in production on one machine. The
 * learner (the workflow `kkachi task start` runs) serves through `kkachi serve`; simulated users ask
 * for predictions over HTTP and send feedback on them; the learner's own triggers start optimization
 * cycles, whose rollouts gate, canary, promote (serving hot-swaps), monitor and roll back. The users
 * keep coming while a rollout watches live traffic; while a cycle optimizes and evaluates they wait,
 * unless the example says its traffic does not (`trafficDuringCycles`).
 * Everything reported comes from the run: the learner's status, the store, the simulator's tallies.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { learnerWorkflowId, statusQuery, type CycleRecord, type LearnerStatus } from '../contract';
import { parseSignature } from '../core/signature';
import type { TaskSpecInput } from '../core/task-spec';
import type { Example } from '../core/types';
import { NoActiveVersionError } from '../serving/predictor';
import { cycleProgress, type CycleProgress } from '../temporal/cycle-progress';
import type { learner } from '../workflows/learner';
import { httpFeatureClient } from './feature-client';
import { learnerRows, learnerProblems, type LearnerVersionRow } from './learner-results';
import { runInfo, sleep, startDemoRuntime, type DemoRunInfo, type DemoRuntime } from './runtime';
import { FeedbackSimulator, goldJudge, type Answered, type Judge, type SimulatorCounts } from './simulator';
import { BarSlot, type DemoEvents } from './stages';

const POLL_MS = 500;
/** How long the end waits for the learner to store the last feedback the users sent. */
const SETTLE_MS = 30_000;
/**
 * How long a cancelled learner may take to close before it is terminated. It stores what it accepted
 * first, and with the demo's one activity slot that waits for the cancelled cycle's LM activity to
 * notice (its next heartbeat) and return: 15 s was too short on a loaded machine (the QA full run lost
 * its last record to the terminate).
 */
const CANCEL_GRACE_MS = 120_000;

/** One example's run: its spec, its users and when its story is told. */
export interface LearnerExample {
  example: 'spam' | 'qa';
  mode: 'quick' | 'full';
  spec: TaskSpecInput;
  /** Unseen examples the users bring, in order. */
  pool: readonly Example[];
  data: { source: string; train: number; holdout: number };
  /** How a user decides what is right (default: the gold outputs). */
  judge?: Judge;
  /**
   * A simulated regression: while a rollout monitors a promoted version, its users judge it this way
   * (the monitoring window must see it and roll back).
   */
  regression?: { description: string; judge: Judge };
  /**
   * Users keep asking (at most one every POLL_MS) while a cycle optimizes and evaluates, as production
   * traffic does: their corrections pile up for the next cycle. They share the CPU with the cycle.
   */
  trafficDuringCycles?: boolean;
  /** The story is complete (the learner is then stopped). */
  finished(cycles: readonly CycleRecord[]): boolean;
}

export interface LearnerDemoOptions {
  example: (runtime: DemoRuntime) => Promise<LearnerExample>;
  keepServer: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  events: DemoEvents;
  interrupted?: Promise<string>;
}

export interface LearnerDemoOutcome extends DemoRunInfo {
  example: LearnerExample['example'];
  mode: LearnerExample['mode'];
  data: LearnerExample['data'] & { pool: number };
  feedback: SimulatorCounts;
  /** Versions that answered the users, in the order they did. */
  swaps: string[];
  /** The learner's status when the run ended. */
  learner: LearnerStatus;
  rows: LearnerVersionRow[];
  /** The label whose precision/recall the tables show (the spec's recall floor, else the first label); null for free text. */
  focusLabel: string | null;
  servingLmCalls: number;
  storeActive: string | null;
  problems: string[];
  seconds: number;
}

export async function runLearnerDemo(opts: LearnerDemoOptions): Promise<LearnerDemoOutcome> {
  const started = Date.now();
  const story = new Story(opts.events);
  const say = (line: string) => story.say(line);
  const runtime = await startDemoRuntime({ env: opts.env, cwd: opts.cwd, keepServer: opts.keepServer, say, interrupted: opts.interrupted });
  const { client, config, store } = runtime;
  try {
    const ex = await opts.example(runtime);
    const task = ex.spec.name as string;
    say(`data: ${ex.data.source}: ${ex.data.train} train, ${ex.data.holdout} held-out, ${ex.pool.length} unseen examples for the users`);

    const workflowId = learnerWorkflowId(task);
    const handle = await client.workflow.start<typeof learner>('learner', { taskQueue: config.taskQueue, workflowId, args: [ex.spec] });
    const webUi = runtime.webUi(workflowId, handle.firstExecutionRunId);
    say(`learner: started ${workflowId}${webUi ? `\n  watch it: ${webUi}` : ''}`);
    const { serving, meter } = await runtime.serve();
    say(`serving: kkachi serve at ${serving.url}; the users call POST /v1/tasks/${task}/predict and /feedback (feedback goes to the learner)`);

    const answered: Answered[] = [];
    const swaps: string[] = [];
    let regressed: string | null = null;
    const judge = ex.judge ?? goldJudge;
    const simulator = new FeedbackSimulator({
      feature: httpFeatureClient(serving.url, task),
      pool: ex.pool,
      judge: (example, predicted, versionId) => (ex.regression && versionId === regressed ? ex.regression.judge : judge)(example, predicted, versionId),
      onAnswered: (a) => answered.push(a),
      onSwap: (from, to) => {
        swaps.push(to);
        if (from) say(`serving: users are now answered by version ${to.slice(0, 12)} (hot swap, no restart)`);
      },
    });

    for (;;) {
      const stopReason = runtime.stopReason();
      if (stopReason) {
        await stopLearner(handle, `demo stopped: ${stopReason.message}`);
        throw stopReason;
      }
      const status = await handle.query(statusQuery).catch(() => null);
      if (!status) {
        await sleep(POLL_MS);
        continue;
      }
      story.cycles(status);
      // A cycle the last records started may be running: the story is told, and stopping the learner cancels it.
      if (ex.finished(status.cycles)) break;
      if (status.running) {
        const cycle = status.cycles[status.cycles.length - 1] as CycleRecord;
        const progress = await cycleProgress(client, workflowId, cycle.cycle).catch(() => null);
        story.stage(cycle.cycle, progress);
        const live = progress?.stage === 'canary' || progress?.stage === 'monitoring';
        if ((live || ex.trafficDuringCycles) && simulator.remaining() > 0) {
          if (progress?.stage === 'monitoring' && ex.regression && regressed === null) {
            regressed = (await store.routing(task)).active;
            say(`  simulated regression: ${ex.regression.description} (version ${regressed?.slice(0, 12)})`);
          }
          await userTurn(simulator);
          story.users(simulator.counts, live ? `live ${progress?.stage}` : `while cycle ${cycle.cycle} runs`);
          if (!live) await sleep(POLL_MS);
        } else {
          await sleep(POLL_MS);
        }
        continue;
      }
      if (simulator.remaining() === 0) {
        say('users: the pool of unseen examples is used up; the run ends here');
        break;
      }
      await userTurn(simulator);
      story.users(simulator.counts, `${status.pendingCorrections}/${(ex.spec.triggers as { corrections?: number } | undefined)?.corrections ?? 3} corrections pending`);
    }

    const settled = await settle(handle, simulator.counts.sent);
    story.cycles(settled);
    await stopLearner(handle, 'demo finished');
    // A cancelled learner stores what it accepted before it closes (records a busy worker had not stored
    // yet): the closed run's counters, read by replay, are the final count.
    const closed = await handle.query(statusQuery).catch(() => settled);
    const learnerStatus = { ...settled, counters: closed.counters };
    const rows = await learnerRows(store, task, learnerStatus, answered, ex.spec);
    const storeActive = (await store.routing(task)).active;
    return {
      example: ex.example,
      mode: ex.mode,
      ...runInfo(runtime, opts.keepServer, task, workflowId, handle.firstExecutionRunId),
      data: { ...ex.data, pool: ex.pool.length },
      feedback: simulator.counts,
      swaps,
      learner: learnerStatus,
      rows,
      focusLabel: focusLabel(ex.spec),
      servingLmCalls: meter.snapshot().calls,
      storeActive,
      problems: learnerProblems(learnerStatus, simulator.counts, storeActive),
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    story.close();
    await runtime.close();
  }
}

function focusLabel(spec: TaskSpecInput): string | null {
  const floor = (spec.gate as { recallFloor?: { label: string } } | undefined)?.recallFloor;
  const [output] = parseSignature(spec.signature as string).outputs;
  if (output?.type !== 'enum') return null;
  return floor?.label ?? output.choices?.[0] ?? null;
}

/**
 * Waits until the learner has stored every record the users sent (it counts each once). A cycle the
 * last records started is not waited for: the run's story is told, and stopping the learner cancels it.
 */
async function settle(handle: WorkflowHandle<typeof learner>, sent: number): Promise<LearnerStatus> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const status = await handle.query(statusQuery);
    if ((status.counters.received >= sent && status.buffered === 0) || Date.now() > deadline) return status;
    await sleep(POLL_MS);
  }
}

/** A learner runs forever; the demo's ends with the run (cancelled first, so a rollout can compensate). */
async function stopLearner(handle: WorkflowHandle<typeof learner>, reason: string): Promise<void> {
  await handle.cancel().catch(() => undefined);
  const closed = await Promise.race([handle.result().then(() => true, () => true), sleep(CANCEL_GRACE_MS).then(() => false)]);
  if (!closed) await handle.terminate(reason).catch(() => undefined);
}

/** One simulated user; before the baseline is deployed there is nobody to ask yet. */
async function userTurn(simulator: FeedbackSimulator): Promise<void> {
  try {
    await simulator.step();
  } catch (err) {
    if (!(err instanceof NoActiveVersionError)) throw err;
    await sleep(POLL_MS);
  }
}

/** The run told as it happens: cycles starting and ending, the stage a running cycle is in, the users' tally. */
class Story {
  private readonly told = new Map<number, CycleRecord['decision']>();
  private lastStage = '';
  private readonly bars: BarSlot;

  constructor(private readonly events: DemoEvents) {
    this.bars = new BarSlot((label) => events.progress(label));
  }

  say(line: string): void {
    this.close();
    this.events.line(line);
  }

  cycles(status: LearnerStatus): void {
    for (const c of status.cycles) {
      const before = this.told.get(c.cycle);
      if (before === undefined) this.say(`cycle ${c.cycle}: started by the ${c.trigger === 'drift' ? 'accuracy-drop (drift)' : c.trigger} trigger`);
      if (c.decision !== 'running' && before !== c.decision) {
        this.say(`cycle ${c.cycle}: ${c.decision} — ${c.reason}`);
        if (c.valWarning) this.say(`  note: ${c.valWarning}`);
        this.lastStage = '';
      }
      this.told.set(c.cycle, c.decision);
    }
  }

  stage(cycle: number, progress: CycleProgress | null): void {
    if (!progress || progress.stage === 'starting') return;
    const label = `cycle ${cycle} ${progress.stage}`;
    if (label !== this.lastStage) {
      this.say(`  ${label}`);
      this.lastStage = label;
    }
    const beat = progress.activity?.progress;
    if (beat && beat.total > 0) {
      this.bars.for(`  ${progress.activity?.type ?? progress.stage}`).update({
        done: beat.done,
        total: beat.total,
        accuracy: beat.correct === undefined || beat.done === 0 ? null : beat.correct / beat.done,
      });
    }
  }

  users(counts: SimulatorCounts, note: string): void {
    this.bars.for('  users').update({ done: counts.sent, total: counts.sent, accuracy: counts.sent > 0 ? counts.confirmations / counts.sent : null, note: `${counts.corrections} corrections; ${note}` });
  }

  close(): void {
    this.bars.close();
  }
}
