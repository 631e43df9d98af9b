/**
 * An optimization cycle's wall time with one worker process vs two, on the same data: each worker a
 * separate process with its own KKACHI_HOME (its own, cold, LM response cache — "another host"), one
 * Temporal dev server, one PostgreSQL store, the LM double answering every call after LM_DELAY_MS (a
 * remote endpoint's latency). The held-out split is HOLDOUT examples in shards of SHARD_SIZE, so each
 * evaluation is HOLDOUT / SHARD_SIZE `evaluateShard` activities any worker may take. Reports the cycle's
 * wall time (start → decision, including the monitoring window), the evaluation stage's (first shard
 * scheduled → last merge done) and how many shards each worker ran.
 * Run: see docs/BENCHMARKS.md.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { cycleWorkflowId, learnerWorkflowId, optimizeNowUpdate } from '../src/contract';
import { learner } from '../src/workflows/learner';
import { keywordOracle, makeExamples } from '../test/support/keyword-world';
import { startPostgres, type PostgresCluster } from '../test/support/postgres';
import { keywordTask, setUpHarness, spawnWorkerProcess, waitForStatus, type Harness } from '../test/workflows/harness';

const HOLDOUT = Number(process.env.BENCH_HOLDOUT ?? 400);
const SHARD_SIZE = Number(process.env.BENCH_SHARD_SIZE ?? 50);
const LM_DELAY_MS = Number(process.env.BENCH_LM_DELAY_MS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SLOTS = process.env.BENCH_ACTIVITY_SLOTS ?? '4';

const inline = (examples: ReturnType<typeof makeExamples>) => ({ examples: examples.map(({ id, inputs, outputs }) => ({ id, inputs, outputs })) });
const TRAIN = makeExamples(30, 1);
const HOLDOUT_EXAMPLES = makeExamples(HOLDOUT + 20, 2)
  .filter((e) => !TRAIN.some((t) => t.inputs.text === e.inputs.text))
  .slice(0, HOLDOUT);

/** Resolves once `n` workers poll the queue for activities (so none joins halfway through a cycle). */
async function pollers(h: Harness, n: number): Promise<void> {
  for (;;) {
    const { pollers: list } = await h.env.client.workflowService.describeTaskQueue({
      namespace: h.env.namespace,
      taskQueue: { name: h.taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    if (new Set(list?.map((p) => p.identity)).size >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.exitCode !== null || w.signalCode !== null) return;
      w.kill('SIGTERM');
      await once(w, 'exit');
    }),
  );
}

interface Result {
  workers: number;
  cycleSeconds: number;
  evaluationSeconds: number;
  shardsPerWorker: number[];
  decision: string;
}

async function cycle(h: Harness, pg: PostgresCluster, workers: number, round: number): Promise<Result> {
  const url = await pg.database();
  const processes = Array.from({ length: workers }, (_, i) =>
    spawnWorkerProcess(h, { KKACHI_STORE_URL: url, KKACHI_HOME: join(h.dir, `round-${round}-${workers}w-host-${i}`), KKACHI_ACTIVITY_CONCURRENCY: SLOTS }),
  );
  try {
    await pollers(h, workers);
    const task = `bench-${workers}w-${round}`;
    const spec = keywordTask(task, h.double.baseURL, {
      triggers: { corrections: 1_000 },
      data: { train: inline(TRAIN), holdout: inline(HOLDOUT_EXAMPLES), valFraction: 0.25 },
      evaluation: { shardSize: SHARD_SIZE },
      monitoring: { window: '1s', minSamples: 1_000, tolerance: 0.1 },
    });
    const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(task), args: [spec] });
    await waitForStatus(handle, (s) => s.activeVersion !== null, 300_000);
    const started = Date.now();
    await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'bench' }] });
    const done = await waitForStatus(handle, (s) => s.cycles[0] !== undefined && s.cycles[0].decision !== 'running', 600_000);
    const cycleSeconds = (Date.now() - started) / 1_000;
    await handle.terminate('bench done');

    const events = (await h.env.client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId(task), 1)).fetchHistory()).events ?? [];
    const time = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1_000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const typeOf = new Map(events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name]] : [])));
    const firstShard = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateShard');
    const lastMerge = events.filter((e) => typeOf.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)) === 'mergeEvaluation').at(-1);
    const byWorker = new Map<string, number>();
    for (const e of events) {
      const a = e.activityTaskStartedEventAttributes;
      if (a && typeOf.get(String(a.scheduledEventId)) === 'evaluateShard') byWorker.set(a.identity ?? '', (byWorker.get(a.identity ?? '') ?? 0) + 1);
    }
    if (!firstShard || !lastMerge) throw new Error('the cycle did not evaluate in shards');
    return {
      workers,
      cycleSeconds,
      evaluationSeconds: (time(lastMerge) - time(firstShard)) / 1_000,
      shardsPerWorker: [...byWorker.values()].sort((a, b) => b - a),
      decision: done.cycles[0]?.decision as string,
    };
  } finally {
    await stop(processes);
  }
}

async function main(): Promise<void> {
  const [h, pg] = await Promise.all([setUpHarness(), startPostgres()]);
  const oracle = keywordOracle();
  h.double.setHandler((req) => ({ text: oracle(req), delayMs: LM_DELAY_MS }));
  try {
    console.log(`holdout ${HOLDOUT} examples in shards of ${SHARD_SIZE} (${Math.ceil(HOLDOUT / SHARD_SIZE)} per evaluation), LM ${LM_DELAY_MS} ms per call, ${SLOTS} activity slots per worker`);
    console.log('| round | workers | cycle (s) | evaluation stage (s) | shards per worker | decision |\n|---|---|---|---|---|---|');
    // Alternated, so a change in the machine's load hits both settings alike.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const workers of [1, 2]) {
        const r = await cycle(h, pg, workers, round);
        console.log(`| ${round} | ${r.workers} | ${r.cycleSeconds.toFixed(1)} | ${r.evaluationSeconds.toFixed(1)} | ${r.shardsPerWorker.join(' + ')} | ${r.decision} |`);
      }
    }
  } finally {
    await Promise.all([h.stop(), pg.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
