/**
 * Durability under a crash: the worker runs as a separate process, is killed with SIGKILL while the
 * `optimize` activity is compiling, and a new worker process takes over. The cycle completes, the
 * optimize activity ran again (attempt ≥ 2, after its heartbeat timed out), and the registry shows
 * exactly one promotion.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { WorkflowHandle } from '@temporalio/client';
import { cycleWorkflowId, learnerWorkflowId, optimizeNowUpdate } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { keywordOracle } from '../support/keyword-world';
import { feedbackFor, keywordTask, setUpHarness, until, waitForStatus, workerProcesses, type Harness } from './harness';

const TASK = 'crash';

let h: Harness;
const workers = workerProcesses(() => h);

beforeAll(async () => {
  h = await setUpHarness();
  // Slow answers so the optimizer is still compiling when the worker dies.
  const oracle = keywordOracle();
  h.double.setHandler((req) => ({ text: oracle(req), delayMs: 250 }));
}, 60_000);

afterAll(async () => {
  workers.killAll();
  await h?.stop();
});

const startWorkerProcess = (): ChildProcess => workers.start();

/** Attempt numbers of every `optimize` activity in a workflow's history. */
async function optimizeAttempts(handle: WorkflowHandle): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'optimize').map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

it('finishes the cycle with exactly one promotion after the worker is SIGKILLed during optimize', async () => {
  const first = startWorkerProcess();
  const spec = keywordTask(TASK, h.double.baseURL, {
    optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 8, maxLabeledDemos: 16 }, seed: 3 },
    triggers: { corrections: 1_000 },
  });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(TASK), args: [spec] });
  const baseline = (await waitForStatus(handle, (s) => s.activeVersion !== null, 60_000)).activeVersion;
  await handle.signal('feedback', feedbackFor(0, { seed: 900 }));
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'crash test' }] });

  // Wait until optimize is running and has made a couple of LM calls, then kill the worker outright.
  const cycle = h.env.client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId(TASK), 1));
  await until(
    async () => {
      const pending = await cycle.describe().then((d) => d.raw.pendingActivities ?? [], () => []);
      return pending.some((a) => a.activityType?.name === 'optimize') ? true : undefined;
    },
    60_000,
    'optimize to start',
  );
  const callsAtStart = h.double.requests.length;
  await until(async () => (h.double.requests.length >= callsAtStart + 2 ? true : undefined), 30_000, 'optimize LM calls');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  expect((await h.store.getPointers(TASK)).active).toBe(baseline);

  const second = startWorkerProcess();
  const done = await waitForStatus(handle, (s) => s.cycles[0]?.decision !== undefined && s.cycles[0].decision !== 'running', 120_000);
  expect(done.cycles[0]).toMatchObject({ cycle: 1, trigger: 'manual', decision: 'promoted' });
  const candidate = done.cycles[0]?.candidateVersion;
  expect(done.activeVersion).toBe(candidate);

  expect(Math.max(...(await optimizeAttempts(cycle)))).toBeGreaterThanOrEqual(2);
  const promotions = (await h.store.registryHistory(TASK)).filter((e) => e.pointer === 'active' && e.toVersion === candidate);
  expect(promotions).toHaveLength(1);
  expect(await h.store.getPointers(TASK)).toMatchObject({ active: candidate, previous: baseline });

  await handle.terminate('test done');
  // SIGTERM is a graceful shutdown: the worker drains and exits cleanly.
  second.kill('SIGTERM');
  const [code] = await once(second, 'exit');
  expect(code).toBe(0);
}, 180_000);

it('Ctrl-C (SIGINT) drains the worker like SIGTERM and exits 0', async () => {
  const worker = startWorkerProcess();
  let output = '';
  for (const stream of [worker.stdout, worker.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(async () => (output.includes("state: 'RUNNING'") ? true : undefined), 120_000, 'the worker to poll');
  worker.kill('SIGINT');
  const [code] = await once(worker, 'exit');
  expect(code).toBe(0);
  expect(output).toContain("state: 'DRAINED'");
}, 180_000);
