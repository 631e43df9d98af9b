/**
 * Two workers on "two hosts" (separate KKACHI_HOMEs, nothing on a shared disk) share one PostgreSQL
 * store and one Temporal server. A learner's cycle spreads its activities over both; the worker running
 * `optimize` is SIGKILLed mid-compile, the other one retries it, and the cycle ends with exactly one
 * promotion in the shared registry, which a serving replica on each host follows without a restart.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cycleWorkflowId, feedbackSignal, learnerWorkflowId, optimizeNowUpdate } from '../../src/contract';
import { startServing, type RunningServer } from '../../src/serving/server';
import { openStore, type Store } from '../../src/store';
import { learner } from '../../src/workflows/learner';
import { keywordOracle } from '../support/keyword-world';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { feedbackFor, keywordTask, setUpHarness, spawnWorkerProcess, until, waitForStatus, type Harness } from './harness';

const TASK = 'shared';
let h: Harness;
let pg: PostgresCluster;
let store: Store;
const workers: ChildProcess[] = [];
const replicas: { store: Store; server: RunningServer }[] = [];

beforeAll(async () => {
  [h, pg] = await Promise.all([setUpHarness(), startPostgres()]);
  // Slow answers so the optimizer is still compiling when its worker dies.
  const oracle = keywordOracle();
  h.double.setHandler((req) => ({ text: oracle(req), delayMs: 250 }));
  const url = await pg.database();
  store = await openStore(url);
  for (const host of ['host-a', 'host-b']) {
    workers.push(spawnWorkerProcess(h, { KKACHI_STORE_URL: url, KKACHI_HOME: join(h.dir, host), KKACHI_ACTIVITY_CONCURRENCY: '2' }));
    const own = await openStore(url); // each replica has its own pool, as on its own host
    replicas.push({ store: own, server: await startServing({ store: own, temporal: null, logLevel: false }) });
  }
}, 90_000);

/** The version each replica answers a prediction with. */
async function servedVersions(): Promise<string[]> {
  return Promise.all(
    replicas.map(async ({ server }) => {
      const res = await fetch(`${server.url}/v1/tasks/${TASK}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { text: 'a lovely phone' } }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { versionId: string }).versionId;
    }),
  );
}

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  for (const { server, store: own } of replicas) {
    await server.close();
    await own.close();
  }
  await store?.close();
  await Promise.all([h?.stop(), pg?.stop()]);
});

it('spreads a cycle over two workers and survives losing one mid-optimize with exactly one promotion', async () => {
  const spec = keywordTask(TASK, h.double.baseURL, {
    optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 8, maxLabeledDemos: 16 }, seed: 3 },
    triggers: { corrections: 1_000 },
  });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(TASK), args: [spec] });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null, 60_000)).activeVersion;
  expect(await servedVersions()).toEqual([baseline, baseline]);
  await handle.signal(feedbackSignal, feedbackFor(0, { seed: 900 }));
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'two workers' }] });

  const cycle = h.env.client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId(TASK), 1));
  const runner = await until(
    async () => {
      const pending = await cycle.describe().then((d) => d.raw.pendingActivities ?? [], () => []);
      const optimize = pending.find((a) => a.activityType?.name === 'optimize' && a.lastWorkerIdentity);
      return optimize?.lastWorkerIdentity ?? undefined;
    },
    60_000,
    'optimize to start',
  );
  const callsAtStart = h.double.requests.length;
  await until(async () => (h.double.requests.length >= callsAtStart + 2 ? true : undefined), 30_000, 'optimize LM calls');
  const victim = workers.find((w) => runner.startsWith(`${w.pid}@`));
  expect(victim).toBeDefined();
  victim?.kill('SIGKILL');
  expect((await store.getPointers(TASK)).active).toBe(baseline);

  const done = await waitForStatus(handle, (s) => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running', 150_000);
  expect(done.cycles[0]).toMatchObject({ cycle: 1, decision: 'promoted' });
  const candidate = done.cycles[0]?.candidateVersion;

  // The retried optimize and the rest of the cycle ran on the surviving worker.
  const started = ((await cycle.fetchHistory()).events ?? []).flatMap((e) =>
    e.activityTaskStartedEventAttributes ? [{ identity: e.activityTaskStartedEventAttributes.identity ?? '', attempt: e.activityTaskStartedEventAttributes.attempt ?? 0 }] : [],
  );
  const survivor = workers.find((w) => w !== victim);
  expect(started.filter((s) => s.attempt >= 2).map((s) => s.identity.split('@')[0])).toContain(String(survivor?.pid));
  expect(new Set([runner, ...started.map((s) => s.identity)]).size).toBe(2);

  // One shared registry: exactly one promotion, seen by any process that opens the store.
  const promotions = (await store.registryHistory(TASK)).filter((e) => e.pointer === 'active' && e.toVersion === candidate);
  expect(promotions).toHaveLength(1);
  expect(await store.getPointers(TASK)).toMatchObject({ active: candidate, previous: baseline });
  expect(await servedVersions()).toEqual([candidate, candidate]);
  expect((await store.listFeedback(TASK)).map((f) => f.predictionId)).toEqual(['pred-900-0']);
  await handle.terminate('test done');
}, 300_000);
