/**
 * Serving tests' setup: the workflow harness (real Temporal dev server, worker, store, keyword-world LM
 * double), a learner per task started the way `kkachi task start` does, and `kkachi serve`'s server on
 * its own connection to the same store file, reached over real HTTP.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TaskSpecInput } from '../../src/core/task-spec';
import { startServing, type RunningServer, type ServeOptions } from '../../src/serving/server';
import { openStore, type Store } from '../../src/store';
import { learnerWorkflowId } from '../../src/contract';
import { learner } from '../../src/workflows/learner';
import { keywordTask, waitForStatus, type Harness } from '../workflows/harness';

export interface Served {
  server: RunningServer;
  store: Store;
  /** fetch against the server with the test token. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON of many shapes
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export const TOKEN = 'test-token-5f2c';

export async function serve(h: Harness, options: Partial<ServeOptions> = {}): Promise<Served> {
  const store = await openStore(h.storePath, { synchronous: 'normal' });
  const server = await startServing({ store, temporal: { client: h.env.client, taskQueue: h.taskQueue }, token: TOKEN, logLevel: false, ...options });
  return {
    server,
    store,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // /metrics is text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** Starts a keyword-world learner for `name` and waits for its baseline (which stores the spec). */
export async function startLearner(h: Harness, name: string, overrides: Partial<TaskSpecInput> = {}): Promise<{ handle: WorkflowHandle; baseline: string }> {
  const spec = keywordTask(name, h.double.baseURL, { triggers: { corrections: 10_000 }, ...overrides });
  const handle = await h.env.client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId(name), args: [spec] });
  const status = await waitForStatus(handle, (s) => s.activeVersion !== null);
  return { handle, baseline: status.activeVersion as string };
}
