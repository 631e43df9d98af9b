/**
 * Benchmarks of `kkachi serve` over real HTTP on loopback (results in docs/BENCHMARKS.md):
 *   feedback [--seconds 60 --concurrency 256]
 *                            HTTP feedback ingestion into one learner (real dev server, worker process,
 *                            SQLite store): records/s accepted vs recorded by the learner; then the signal
 *                            path alone from one client (single `feedback`, and `feedbackBatch` of the
 *                            size the HTTP batcher sent).
 *   overhead [--local]       predict latency through HTTP minus the raw LM call, p50/p99: an instant
 *                            OpenAI-compatible LM (default) or the embedded model (--local).
 *   hotswap                  requests/s and errors while the active version is promoted 10 times.
 * Run: npm run bench:serving -- <name> [flags]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { learnerWorkflowId, feedbackBatchSignal, feedbackSignal, type FeedbackPayload } from '../src/contract';
import { createArtifact, type ProgramArtifact } from '../src/core/artifact';
import { createLM, type LMConfig } from '../src/core/lm/factory';
import { disposeLocalRuntimes } from '../src/core/lm/local-runtime';
import type { LM } from '../src/core/lm/types';
import { createProgram, predict } from '../src/core/program';
import { percentile } from '../src/core/stats/percentile';
import type { TaskSpecInput } from '../src/core/task-spec';
import { startOpenAIServer } from '../src/server/openai-server';
import { modelsDir } from '../src/models/location';
import { learnerTarget, type FeedbackTarget } from '../src/serving/feedback-target';
import { startServing, type RunningServer } from '../src/serving/server';
import { openStore, type Store } from '../src/store';
import { learner } from '../src/workflows/learner';
import { setUpHarness, spawnWorkerProcess, waitForStatus } from '../test/workflows/harness';

const SIGNATURE = 'text -> sentiment: positive|negative';
const TASK = 'bench';
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An LM that answers at once: what is measured is everything around the model. */
const instantLM: LM = { id: 'instant', complete: async () => ({ text: 'positive', usage: { promptTokens: 1, completionTokens: 1 }, latencyMs: 0, cached: false }) };

function taskSpec(lm: LMConfig): TaskSpecInput {
  return {
    name: TASK,
    signature: SIGNATURE,
    adapter: 'completion',
    metric: { name: 'label_accuracy' },
    lm,
    optimizer: { name: 'LabeledFewShot' },
    data: {
      train: { examples: [{ inputs: { text: 'Great phone.' }, outputs: { sentiment: 'positive' } }] },
      holdout: { examples: [{ inputs: { text: 'Broke in a day.' }, outputs: { sentiment: 'negative' } }] },
    },
    // No optimization cycle during the benchmark: it measures ingestion.
    triggers: { corrections: 1_000_000_000, retrainInterval: '30d' },
  };
}

const program = (instructions: string, parent: string | null): ProgramArtifact =>
  createArtifact(createProgram(SIGNATURE, instructions, { adapter: 'completion' }), { parentId: parent, datasetId: null, optimizer: null });

/** A store with the task, two versions, v1 active, and a serving process over it. */
async function servedTask(dir: string, lm: LMConfig, lmFor?: () => Promise<LM>): Promise<{ store: Store; server: RunningServer; v1: ProgramArtifact; v2: ProgramArtifact; close(): Promise<void> }> {
  const store = await openStore(join(dir, 'kkachi.db'));
  const v1 = program('Classify the sentiment.', null);
  const v2 = program('Classify the sentiment of the review.', v1.id);
  await store.putTaskSpec(TASK, taskSpec(lm));
  for (const v of [v1, v2]) await store.putProgram(TASK, v);
  await store.compareAndSetActive(TASK, { expected: null, next: v1.id, actor: 'bench', reason: 'baseline' });
  const servingStore = await openStore(join(dir, 'kkachi.db'), { synchronous: 'normal' });
  const server = await startServing({ store: servingStore, temporal: null, logLevel: false, ...(lmFor ? { lmFor } : {}) });
  return {
    store,
    server,
    v1,
    v2,
    async close() {
      await server.close();
      await servingStore.close();
      await store.close();
    },
  };
}

/** Keep-alive HTTP/1.1 from node:http: a lean client, so its own work in this process skews the server's numbers least. */
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const summary = (values: number[]) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99) });

// ── predict overhead ─────────────────────────────────────────────────────────────────────────────

async function overhead(): Promise<void> {
  const local = args.includes('--local');
  const n = Number(flag('n') ?? (local ? 200 : 3_000));
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-bench-'));
  const endpoint = local ? null : await startOpenAIServer({ lm: instantLM, modelName: 'instant' });
  const config: LMConfig = local ? { provider: 'local', model: process.env.KKACHI_MODEL || 'smollm2-135m' } : { provider: 'openai', model: 'instant', baseURL: endpoint?.baseURL };
  // One LM object for both paths, so the same client (and, locally, the same loaded model) is measured.
  const lm = await createLM(config, { cacheDir: null, modelsDir: modelsDir() });
  const stack = await servedTask(dir, config, async () => lm);
  try {
    // Each path its own texts of one shape: the embedded model keeps a sequence's evaluated prompt
    // prefix, so asking both paths the same text would hand the second one the first one's work.
    const texts = (path: string) => Array.from({ length: n }, (_, i) => `Review ${path}${i}: it arrived on time and works.`);
    const [rawTexts, httpTexts] = [texts('a'), texts('b')];
    const warm = Math.min(50, n);
    for (let i = 0; i < warm; i++) {
      await predict(stack.v1.program, { text: `warm a${i}` }, lm);
      await post(`${stack.server.url}/v1/tasks/${TASK}/predict`, { inputs: { text: `warm b${i}` } });
    }
    // Interleaved, so both paths see the same machine load.
    const raw: number[] = [];
    const http: number[] = [];
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      await predict(stack.v1.program, { text: rawTexts[i] as string }, lm);
      raw.push(performance.now() - t);
      t = performance.now();
      const res = await post(`${stack.server.url}/v1/tasks/${TASK}/predict`, { inputs: { text: httpTexts[i] as string } });
      http.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    const r = summary(raw);
    const h = summary(http);
    console.log(JSON.stringify({ bench: 'overhead', lm: local ? config.model : 'instant double', n, rawMs: r, httpMs: h, overheadMs: { p50: h.p50 - r.p50, p99: h.p99 - r.p99 } }));
  } finally {
    await stack.close();
    await endpoint?.close();
    await disposeLocalRuntimes();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── hot swap under load ──────────────────────────────────────────────────────────────────────────

async function hotswap(): Promise<void> {
  const promotions = Number(flag('promotions') ?? 10);
  const everyMs = Number(flag('every') ?? 2_000);
  const concurrency = Number(flag('concurrency') ?? 32);
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-bench-'));
  const endpoint = await startOpenAIServer({ lm: instantLM, modelName: 'instant' });
  const stack = await servedTask(dir, { provider: 'openai', model: 'instant', baseURL: endpoint.baseURL });
  try {
    let stop = false;
    let ok = 0;
    let errors = 0;
    let staleAfterSwap = 0;
    // Each promotion: when its compare-and-set began and when it had committed, and the version it made active.
    const swaps: { before: number; at: number; version: string }[] = [];
    const lane = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        const sentAt = performance.now();
        try {
          const res = await post(`${stack.server.url}/v1/tasks/${TASK}/predict`, { inputs: { text: `lane ${lane} request ${i}` } });
          if (res.status !== 200) errors += 1;
          else {
            ok += 1;
            // A request sent after a promotion committed must get its version, unless another promotion overlapped it.
            const answeredAt = performance.now();
            const last = swaps.filter((s) => s.at < sentAt).pop();
            const overlapped = swaps.some((s) => s.before < answeredAt && s.at >= sentAt);
            if (last && !overlapped && res.body.versionId !== last.version) staleAfterSwap += 1;
          }
        } catch {
          errors += 1;
        }
      }
    };
    const started = performance.now();
    const lanes = Array.from({ length: concurrency }, (_, i) => lane(i));
    let active = stack.v1.id;
    for (let k = 0; k < promotions; k++) {
      await sleep(everyMs);
      const next = active === stack.v1.id ? stack.v2.id : stack.v1.id;
      const swap = { before: performance.now(), at: Infinity, version: next };
      swaps.push(swap);
      if (!(await stack.store.compareAndSetActive(TASK, { expected: active, next, actor: 'bench', reason: `promotion ${k + 1}` }))) throw new Error('promotion lost its compare-and-set');
      swap.at = performance.now();
      active = next;
    }
    await sleep(everyMs);
    stop = true;
    await Promise.all(lanes);
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ bench: 'hotswap', promotions, concurrency, seconds, requests: ok + errors, reqPerSec: (ok + errors) / seconds, errors, staleAfterSwap }));
  } finally {
    await stack.close();
    await endpoint.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── feedback ingestion ───────────────────────────────────────────────────────────────────────────

const payload = (id: string, i: number): FeedbackPayload => ({
  predictionId: id,
  input: { text: `Review ${i}: it arrived on time and works.` },
  predicted: { sentiment: 'positive' },
  correct: { sentiment: i % 50 === 0 ? 'negative' : 'positive' },
});

/**
 * The test harness's stack (a dev server of its own, a SQLite store, the LM double), the worker in a
 * process of its own (`src/worker.ts`) and `kkachi serve` in this one on its own connection to the
 * store: the processes a deployment runs.
 */
async function feedback(): Promise<void> {
  const seconds = Number(flag('seconds') ?? 60);
  const signalSeconds = Number(flag('signal-seconds') ?? 20);
  const signalRecords = Number(flag('signal-records') ?? 20_000);
  const concurrency = Number(flag('concurrency') ?? 64);
  const batch = Number(flag('batch') ?? 1);
  const h = await setUpHarness();
  const worker = spawnWorkerProcess(h);
  const servingStore = await openStore(h.storePath, { synchronous: 'normal' });
  // The learner target, counted: how many signals carried the accepted records.
  let deliveries = 0;
  const learnerSignals = learnerTarget({ client: h.env.client, taskQueue: h.taskQueue, timeoutMs: 30_000 });
  const feedbackTarget: FeedbackTarget = {
    deliver: async (task, records) => {
      await learnerSignals.deliver(task, records);
      deliveries += 1;
    },
  };
  const server = await startServing({ store: servingStore, temporal: { client: h.env.client, taskQueue: h.taskQueue }, feedbackTarget, logLevel: false, temporalTimeoutMs: 30_000 });
  try {
    // The learner starts as `kkachi task start` would; its first step stores the spec serving needs.
    const handle = await h.env.client.workflow.start(learner, {
      taskQueue: h.taskQueue,
      workflowId: learnerWorkflowId(TASK),
      args: [taskSpec({ provider: 'openai', model: 'keyword-oracle', baseURL: h.double.baseURL })],
    });
    await waitForStatus(handle, (s) => s.activeVersion !== null, 180_000);

    // 1. Through HTTP: `concurrency` clients, each request carrying `batch` records (full payloads).
    say(`HTTP: ${concurrency} clients, ${batch} record(s) per request, ${seconds}s`);
    let next = 0;
    let accepted = 0;
    let failed = 0;
    const latencies: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const records = Array.from({ length: batch }, () => next++).map((i) => payload(`http-${i}`, i));
          const t = performance.now();
          const res = batch === 1 ? await post(`${server.url}/v1/tasks/${TASK}/feedback`, records[0]) : await post(`${server.url}/v1/tasks/${TASK}/feedback/batch`, { records });
          latencies.push(performance.now() - t);
          if (res.status !== 202) failed += batch;
          else accepted += batch === 1 ? (res.body.accepted ? 1 : 0) : Number(res.body.accepted);
        }
      }),
    );
    const httpSeconds = (performance.now() - started) / 1000;
    const settled = await waitForStatus(handle, (s) => s.counters.received >= accepted && s.buffered === 0, 600_000);
    const stored = (await h.store.feedbackCounts(TASK)).total;
    console.log(
      JSON.stringify({
        bench: 'feedback-http',
        seconds: httpSeconds,
        concurrency,
        recordsPerRequest: batch,
        accepted,
        failed,
        acceptedPerSec: accepted / httpSeconds,
        requestMs: summary(latencies),
        learnerReceived: settled.counters.received,
        stored,
        settledAfterSec: (performance.now() - started) / 1000 - httpSeconds,
        learnerGeneration: settled.generation,
        signals: deliveries,
        recordsPerSignal: accepted / Math.max(1, deliveries),
      }),
    );

    // 2. The signal path alone, from one client: single `feedback` signals from as many senders for
    // `signal-seconds` (the ceiling of signals per second), then `signal-records` records in
    // `feedbackBatch` signals of the average size the HTTP batcher sent (bounded, so the learner's
    // history stays within what one run holds).
    const perSignal = Math.max(1, Math.round(accepted / Math.max(1, deliveries)));
    for (const mode of ['feedback', 'feedbackBatch'] as const) {
      const before = (await waitForStatus(handle, (st) => st.buffered === 0, 600_000)).counters.received;
      let sent = 0;
      let signals = 0;
      const end = performance.now() + signalSeconds * 1000;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (mode === 'feedback' ? performance.now() < end : sent < signalRecords) {
            const size = mode === 'feedback' ? 1 : perSignal;
            const records = Array.from({ length: size }, () => next++).map((i) => payload(`sig-${i}`, i));
            sent += size;
            await (mode === 'feedback' ? handle.signal(feedbackSignal, records[0] as FeedbackPayload) : handle.signal(feedbackBatchSignal, { records }));
            signals += 1;
          }
        }),
      );
      const s = (performance.now() - t0) / 1000;
      const after = await waitForStatus(handle, (st) => st.counters.received >= before + sent && st.buffered === 0, 600_000);
      console.log(JSON.stringify({ bench: `signal-${mode}`, seconds: s, recordsPerSignal: mode === 'feedback' ? 1 : perSignal, signals, signalsPerSec: signals / s, sent, recordsPerSec: sent / s, learnerReceived: after.counters.received - before }));
    }
  } finally {
    await server.close();
    await servingStore.close();
    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    await exited;
    await h.stop();
  }
}

const BENCHES: Record<string, () => Promise<void>> = { overhead, hotswap, feedback };
const name = args[0] ?? '';
const bench = BENCHES[name];
if (!bench) {
  say(`usage: npm run bench:serving -- ${Object.keys(BENCHES).join('|')} [flags]`);
  process.exit(2);
}
bench().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`bench ${name} failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
