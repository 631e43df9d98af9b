/**
 * A worker checks the server before it polls: on a bare dev server (no Kkachi search attributes) it
 * registers them and a learner then stores feedback; where registration is refused it names the exact
 * `temporal operator search-attribute create` commands; a missing namespace stops the worker process
 * with exit code 1 and the command that creates it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { learnerWorkflowId, SEARCH_ATTRIBUTE_NAMES, submitFeedbackUpdate } from '../../src/contract';
import { openStore, type Store } from '../../src/store';
import { ensureServerReady, searchAttributeCommand, type PreflightConnection } from '../../src/temporal/preflight';
import { createWorker } from '../../src/worker';
import { learner } from '../../src/workflows/learner';
import { keywordOracle } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { bundleWorkflows, startTemporal, type TemporalEnv } from '../support/temporal';
import { feedbackFor, keywordTask } from './harness';

const ROOT = resolve(__dirname, '../..');
let env: TemporalEnv;
let bundle: WorkflowBundleWithSourceMap;
let double: LMDouble;
let store: Store;
let dir: string;

beforeAll(async () => {
  [env, bundle, double] = await Promise.all([startTemporal({ searchAttributes: false }), bundleWorkflows(), startLMDouble(keywordOracle())]);
  dir = mkdtempSync(join(tmpdir(), 'kkachi-preflight-'));
  store = await openStore(join(dir, 'kkachi.db'));
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await double?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const registered = async (): Promise<string[]> => {
  const { customAttributes } = await env.client.connection.operatorService.listSearchAttributes({ namespace: env.namespace });
  return SEARCH_ATTRIBUTE_NAMES.filter((name) => customAttributes?.[name] !== undefined);
};

it('names the exact commands when the server refuses to register the attributes', async () => {
  expect(await registered()).toEqual([]);
  const real = env.nativeConnection;
  const refusing: PreflightConnection = {
    workflowService: real.workflowService,
    operatorService: {
      listSearchAttributes: (req) => real.operatorService.listSearchAttributes(req),
      addSearchAttributes: () => Promise.reject(Object.assign(new Error('Request unauthorized.'), { code: 7 })),
    },
  };
  const failure = await ensureServerReady(refusing, env.namespace).catch((err: Error) => err);
  expect(failure).toBeInstanceOf(Error);
  const message = (failure as Error).message;
  for (const name of SEARCH_ATTRIBUTE_NAMES) expect(message).toContain(searchAttributeCommand(env.namespace, name));
  expect(message).toContain('Request unauthorized.');
  expect(await registered()).toEqual([]);
});

it('registers the search attributes on a bare dev server, and a learner then stores feedback', async () => {
  const taskQueue = 'preflight';
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({ store, cacheDir: null }),
  });
  expect(await registered()).toEqual(SEARCH_ATTRIBUTE_NAMES);
  await worker.runUntil(async () => {
    const spec = keywordTask('bare', double.baseURL);
    const handle = await env.client.workflow.start(learner, { taskQueue, workflowId: learnerWorkflowId('bare'), args: [spec] });
    const ack = await handle.executeUpdate(submitFeedbackUpdate, { args: [feedbackFor(0, { seed: 620 })] });
    expect(ack).toEqual({ accepted: true, duplicate: false, predictionId: 'pred-620-0' });
    await handle.terminate('test done');
  });
  expect(await store.listFeedback('bare')).toHaveLength(1);
}, 90_000);

it('a worker process pointed at a namespace that does not exist exits 1 naming it', async () => {
  const child = spawn(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(ROOT, 'src/worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'no-such-namespace', KKACHI_HOME: dir, KKACHI_STORE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  expect(code).toBe(1);
  expect(stderr).toContain('kkachi worker: Temporal namespace "no-such-namespace" does not exist');
  expect(stderr).toContain('temporal operator namespace create --namespace no-such-namespace');
}, 90_000);
