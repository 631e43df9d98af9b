/**
 * Shared setup for the workflow tests: a real Temporal dev server, the workflow bundle, the real
 * activities over a temporary SQLite store, and the LM double playing the keyword world (the zero-shot
 * program guesses; demos that share the query's keyword make it right, so optimizing really helps).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { TaskSpecInput } from '../../src/core/task-spec';
import type { Example } from '../../src/core/types';
import { openStore, type Store } from '../../src/store';
import { createWorker, type CreateWorkerOptions } from '../../src/worker';
import { type FeedbackPayload, type LearnerStatus, statusQuery } from '../../src/contract';
import { KEYWORD_SIGNATURE, keywordOracle, makeExamples, NOISE_TOLERANT_LATENCY } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { bundleWorkflows, startTemporal, type StartTemporalOptions, type TemporalEnv } from '../support/temporal';

export interface Harness {
  env: TemporalEnv;
  bundle: WorkflowBundleWithSourceMap;
  double: LMDouble;
  store: Store;
  dir: string;
  storePath: string;
  taskQueue: string;
  /** A worker in this process over the real activities; call `runUntil` on it. `extra` overrides options. */
  worker(extra?: Partial<CreateWorkerOptions>): Promise<Worker>;
  stop(): Promise<void>;
}

let queues = 0;

/** `deps` adds to the activities' dependencies (e.g. an `env` naming a metrics module). */
export async function setUpHarness(options: StartTemporalOptions = {}, deps: Partial<ActivityDeps> = {}): Promise<Harness> {
  const [env, bundle, double] = await Promise.all([startTemporal(options), bundleWorkflows(), startLMDouble(keywordOracle())]);
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-wf-'));
  const storePath = join(dir, 'kkachi.db');
  const store = await openStore(storePath);
  const taskQueue = `kkachi-test-${process.pid}-${++queues}`;
  return {
    env,
    bundle,
    double,
    store,
    dir,
    storePath,
    taskQueue,
    worker: (extra = {}) =>
      createWorker({
        connection: env.nativeConnection,
        namespace: env.namespace,
        taskQueue,
        workflowBundle: bundle,
        activities: createActivities({ store, cacheDir: join(dir, 'cache'), heartbeatIntervalMs: 200, ...deps }),
        activityConcurrency: 4,
        ...extra,
      }),
    async stop() {
      await env.stop();
      await double.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A harness whose worker runs in this process until `stop()`: the setup most workflow test files share. */
export async function setUpRunningHarness(options: StartTemporalOptions = {}, deps: Partial<ActivityDeps> = {}): Promise<Harness> {
  const h = await setUpHarness(options, deps);
  const worker = await h.worker();
  const running = worker.run();
  return {
    ...h,
    async stop() {
      worker.shutdown();
      await running;
      await h.stop();
    },
  };
}

/** Examples as an inline data reference of a task spec. */
export const inline = (examples: Example[]) => ({ examples: examples.map(({ id, inputs, outputs }) => ({ id, inputs, outputs })) });
const TRAIN = makeExamples(30, 1);
/** The learner refuses a holdout that shares examples with train: drop the one review both seeds happen to write. */
const HOLDOUT = makeExamples(40, 2).filter((e) => !TRAIN.some((t) => t.inputs.text === e.inputs.text));

/** A keyword-world task on the LM double: LabeledFewShot demos cover the keywords, so cycles promote. */
export function keywordTask(name: string, baseURL: string, overrides: Partial<TaskSpecInput> = {}): TaskSpecInput {
  return {
    name,
    signature: KEYWORD_SIGNATURE,
    instructions: 'Classify the sentiment of the review.',
    metric: { name: 'label_accuracy' },
    lm: { provider: 'openai', model: 'keyword-oracle', baseURL, maxTokens: 32 },
    optimizer: { name: 'LabeledFewShot', config: { k: 16 }, seed: 7 },
    data: { train: inline(TRAIN), holdout: inline(HOLDOUT), valFraction: 0.25 },
    monitoring: { window: '2s', minSamples: 5, tolerance: 0.1 },
    ...overrides,
    gate: { ...NOISE_TOLERANT_LATENCY, ...overrides.gate },
  };
}

const pools = new Map<number, Example[]>();
function feedbackPool(seed: number): Example[] {
  if (!pools.has(seed)) pools.set(seed, makeExamples(1_000, seed));
  return pools.get(seed) as Example[];
}

/** Feedback on a fresh keyword-world example; a correction unless `confirm`. */
export function feedbackFor(i: number, opts: { confirm?: boolean; versionId?: string; seed?: number } = {}): FeedbackPayload {
  const seed = opts.seed ?? 500;
  const example = feedbackPool(seed)[i];
  if (!example) throw new Error(`no example ${i}`);
  const right = example.outputs.sentiment as string;
  const wrong = right === 'positive' ? 'negative' : 'positive';
  return {
    predictionId: `pred-${seed}-${i}`,
    input: example.inputs,
    predicted: { sentiment: opts.confirm ? right : wrong },
    correct: { sentiment: right },
    ...(opts.versionId ? { versionId: opts.versionId } : {}),
  };
}

/** Polls `probe` every 100 ms until it gives a value (which it returns); fails naming `what` after timeoutMs. */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls the learner's `status` until `done` holds (or fails with the last status seen). */
export async function waitForStatus(
  handle: WorkflowHandle,
  done: (s: LearnerStatus) => boolean,
  timeoutMs = 60_000,
): Promise<LearnerStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: LearnerStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(statusQuery);
      if (done(last)) return last;
    } catch {
      // Between runs of a continue-as-new the query can miss; try again.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`status condition not met in ${timeoutMs} ms; last status: ${JSON.stringify(last)}`);
}

/**
 * `node src/worker.ts` in its own process (transpiled on the fly) with this harness's server, queue,
 * KKACHI_HOME and workflow bundle (a file, so it does not webpack its own); `env` adds or overrides
 * variables. Its output is printed if it dies unexpectedly.
 */
export function spawnWorkerProcess(h: Harness, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const root = resolve(__dirname, '../..');
  const bundlePath = join(h.dir, 'workflow-bundle.js');
  if (!existsSync(bundlePath)) writeFileSync(bundlePath, h.bundle.code);
  const child = spawn(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(root, 'src/worker.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.env.address,
      TEMPORAL_NAMESPACE: h.env.namespace,
      KKACHI_TASK_QUEUE: h.taskQueue,
      KKACHI_HOME: h.dir,
      KKACHI_ACTIVITY_CONCURRENCY: '4',
      KKACHI_WORKFLOW_BUNDLE: bundlePath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker exited (${code ?? signal}):\n${output}`);
  });
  return child;
}

/** Worker processes a test file starts with `start()`; `killAll()` (in afterAll) SIGKILLs those still alive. */
export function workerProcesses(harness: () => Harness): { start(): ChildProcess; killAll(): void } {
  const children: ChildProcess[] = [];
  return {
    start() {
      const child = spawnWorkerProcess(harness());
      children.push(child);
      return child;
    },
    killAll() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
