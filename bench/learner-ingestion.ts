/**
 * Sustained feedback ingestion into one learner on a local Temporal dev server, per way of sending:
 * single `feedback` signals, `submitFeedback` updates, `feedbackBatch` signals of 200 records and
 * `submitFeedbackBatch` updates of 200 records (as `kkachi serve` sends them).
 * Each mode offers as fast as its senders can for BENCH_SECONDS (default 60), then waits for the
 * learner to store everything. Reports records/s offered (accepted by the server) and stored within
 * the window, p99 time from acceptance (the record's receivedAt, workflow time) to storage (the first
 * 250 ms poll of the store that shows it; records are stored in acceptance order, so the k-th stored
 * is matched with the k-th accepted), the largest run's history (events, MB), continue-as-new count,
 * runs the server closed, and how many sends the server or the learner refused (retried by the sender:
 * signals after 500 ms, updates by the client helpers, with the same update id).
 * Run: see docs/BENCHMARKS.md.
 */
import type { WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { feedbackBatchSignal, feedbackSignal, learnerWorkflowId, statusQuery, submitFeedbackBatchUpdate, submitFeedbackUpdate, type FeedbackPayload } from '../src/contract';
import { DEFAULT_FEEDBACK_BYTES } from '../src/core/task-spec';
import { isTransientUpdateFailure, untilTaken } from '../src/temporal/feedback';
import { learner } from '../src/workflows/learner';
import { feedbackFor, keywordTask, setUpRunningHarness, type Harness } from '../test/workflows/harness';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
type Mode = 'signal' | 'update' | 'batch' | 'batch-update';
const SENDERS: Record<Mode, number> = { signal: 32, update: 32, batch: 4, 'batch-update': 4 };
const BATCH = 200;
/**
 * The server's per-run signal limit and the learner's, sized as docs/WORKFLOWS.md ("Overload") says:
 * 100 batches of 200 records (~40 KB), counted twice, stay far under the 50 MB at which the server
 * closes a run, and a run's replay (20,000 records validated) fits a workflow task's 10 s on a loaded
 * machine (500 per run did not: its replays timed out again and again).
 */
const SERVER_SIGNALS_PER_RUN = 100;

function record(mode: Mode, i: number): FeedbackPayload {
  return { ...feedbackFor(i % 1_000, { seed: 900, confirm: i % 50 !== 0 }), predictionId: `${mode}-${i}` };
}

const signalRefused = (err: unknown): boolean => /exceeded workflow execution limit/.test(String((err as { cause?: unknown }).cause ?? err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one message until it is taken; returns the records it carried and how many times it was refused. */
async function sendOne(handle: WorkflowHandle, mode: Mode, first: number): Promise<{ records: number; refused: number }> {
  let refused = 0;
  const batch = { records: Array.from({ length: BATCH }, (_, k) => record(mode, first + k)) };
  // An update the learner refused (LearnerBusy, or a failed workflow task) goes again with the same id.
  const countRefusal = (err: unknown): never => {
    if (isTransientUpdateFailure(err)) refused += 1;
    throw err;
  };
  if (mode === 'update') await untilTaken((updateId) => handle.executeUpdate(submitFeedbackUpdate, { args: [record(mode, first)], updateId }).catch(countRefusal), {});
  else if (mode === 'batch-update') await untilTaken((updateId) => handle.executeUpdate(submitFeedbackBatchUpdate, { args: [batch], updateId }).catch(countRefusal), {});
  else {
    for (;;) {
      try {
        await (mode === 'signal' ? handle.signal(feedbackSignal, record(mode, first)) : handle.signal(feedbackBatchSignal, batch));
        break;
      } catch (err) {
        if (!signalRefused(err)) throw err;
        refused += 1;
        await sleep(500);
      }
    }
  }
  return { records: mode === 'batch' || mode === 'batch-update' ? BATCH : 1, refused };
}

async function run(h: Harness, mode: Mode): Promise<Record<string, string | number>> {
  const task = `bench-${mode}`;
  const spec = keywordTask(task, h.double.baseURL, {
    triggers: { corrections: 100_000_000 },
    limits: { feedbackBytes: DEFAULT_FEEDBACK_BYTES, signalsPerRun: SERVER_SIGNALS_PER_RUN / 2 },
  });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
  while ((await handle.query(statusQuery).catch(() => null))?.activeVersion == null) await new Promise((r) => setTimeout(r, 200));

  const storedAt: { t: number; total: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      storedAt.push({ t: Date.now(), total: (await h.store.feedbackCounts(task)).total });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();

  const started = Date.now();
  const end = started + SECONDS * 1_000;
  let next = 0;
  let offered = 0;
  let refused = 0;
  // Every sender runs to the end even when one fails, so the harness is not stopped under the others.
  const senders = await Promise.allSettled(
    Array.from({ length: SENDERS[mode] }, async () => {
      while (Date.now() < end) {
        const first = next;
        next += mode === 'batch' || mode === 'batch-update' ? BATCH : 1;
        const sent = await sendOne(handle, mode, first);
        offered += sent.records;
        refused += sent.refused;
      }
    }),
  );
  const failed = senders.find((s) => s.status === 'rejected');
  if (failed) throw new Error(`${mode}: a sender failed`, { cause: failed.reason });
  const windowMs = Date.now() - started;
  const storedInWindow = (await h.store.feedbackCounts(task)).total;
  const drainDeadline = Date.now() + 120_000;
  while ((await h.store.feedbackCounts(task)).total < offered && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 250));
  const drainS = (Date.now() - started - windowMs) / 1_000;
  polling = false;
  await poller;

  const accepted = (await h.store.listFeedback(task)).map((f) => f.receivedAt).sort((a, b) => a - b);
  const latencies = accepted.map((at, k) => (storedAt.find((p) => p.total > k)?.t ?? Date.now()) - at).sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? NaN;
  const status = await handle.query(statusQuery);
  // Every run of the learner (continue-as-new chain): the largest history any of them reached.
  // Visibility has final sizes for closed runs only: the running one is described directly.
  const runs: Pick<WorkflowExecutionInfo, 'historyLength' | 'historySize' | 'status'>[] = [await handle.describe()];
  for await (const r of h.env.client.workflow.list({ query: `WorkflowId = "${learnerWorkflowId(task)}"` })) runs.push(r);
  const largest = (key: 'historyLength' | 'historySize'): number => Math.max(...runs.map((r) => r[key] ?? 0));
  const closedByServer = runs.filter((r) => r.status.name === 'TERMINATED').length;
  await handle.terminate('bench done');
  return {
    mode,
    senders: SENDERS[mode],
    'offered/s': Math.round(offered / (windowMs / 1_000)),
    'stored/s (in window)': Math.round(storedInWindow / (windowMs / 1_000)),
    offered,
    stored: status.counters.received,
    'drain s': drainS.toFixed(1),
    'p99 accept→store ms': Math.round(p99),
    'largest run: events': largest('historyLength'),
    'largest run: MB': (largest('historySize') / 1024 / 1024).toFixed(1),
    'runs closed by the server': closedByServer,
    'continue-as-new': status.generation,
    'refused & retried': refused,
  };
}

async function main(): Promise<void> {
  const modes = (process.argv[2]?.split(',') ?? ['signal', 'update', 'batch', 'batch-update']) as Mode[];
  const h = await setUpRunningHarness({ dynamicConfig: { 'history.maximumSignalsPerExecution': SERVER_SIGNALS_PER_RUN } });
  try {
    const rows = [];
    for (const mode of modes) {
      const row = await run(h, mode);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    console.table(rows);
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
