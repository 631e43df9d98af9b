/**
 * Payload encryption against a real Temporal dev server: with the codec on worker and client, the
 * histories the server stores hold ciphertext only — no feedback text, not even in failure messages —
 * the workflow still replays with the key, replay without the right key fails clearly, and the
 * `temporal` CLI shows the payloads in clear through `kkachi codec-server`'s endpoint.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker as TemporalWorker, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { cycleWorkflowId, feedbackSignal, learnerWorkflowId, optimizeNowUpdate } from '../../src/contract';
import { startCodecServer } from '../../src/temporal/codec-server';
import { EncryptionCodec, encryptingDataConverter, SEALED_FAILURES_PATH, type EncryptionKeys } from '../../src/temporal/encryption';
import { learner } from '../../src/workflows/learner';
import { bundleWorkflows, temporalBinary } from '../support/temporal';
import { keywordOracle } from '../support/keyword-world';
import { feedbackFor, keywordTask, setUpHarness, waitForStatus, type Harness } from './harness';

const run = promisify(execFile);
const MARKER = 'zebra-invoice-7731 was refunded twice';
const KEYS: EncryptionKeys = { current: { id: 'test-2026', key: randomBytes(32) }, older: [] };
const converter = encryptingDataConverter;
const SEALED = 3;

let h: Harness;
let worker: Worker;
let running: Promise<void>;
let handle: WorkflowHandle<typeof learner>;
let bundle: WorkflowBundleWithSourceMap;
let history: temporal.api.history.v1.IHistory;
let cycleHistory: temporal.api.history.v1.IHistory;
let cycleFailure: unknown;

beforeAll(async () => {
  h = await setUpHarness();
  // Workflow code converts failures too: its bundle carries the sealing failure converter.
  bundle = await bundleWorkflows({ failureConverterPath: SEALED_FAILURES_PATH });
  worker = await h.worker({ dataConverter: converter(KEYS), workflowBundle: bundle });
  running = worker.run();
  const client = new Client({ connection: h.env.client.connection, namespace: h.env.namespace, dataConverter: converter(KEYS) });
  // Every labelled example becomes a demo, so the corrections below reach the candidate's prompts.
  const spec = keywordTask('sealed', h.double.baseURL, { triggers: { corrections: 100 }, optimizer: { name: 'LabeledFewShot', config: { k: 100 }, seed: 7 } });
  handle = await client.workflow.start(learner, { taskQueue: h.taskQueue, workflowId: learnerWorkflowId('sealed'), args: [spec] });
  for (let i = 0; i < SEALED; i++) await handle.signal(feedbackSignal, { ...feedbackFor(i), input: { text: `${MARKER} (${i})` } });
  await waitForStatus(handle, (s) => s.counters.received === SEALED && s.buffered === 0, 60_000);
  // A provider whose content filter refuses the prompts with that text and quotes it back in the error,
  // as some do: the quote travels in the failure of the candidate's evaluate, then of the cycle.
  const oracle = keywordOracle();
  h.double.setHandler((req) => {
    const prompt = req.messages.map((m) => m.content).join('\n');
    const at = prompt.indexOf('zebra-invoice');
    return at < 0 ? oracle(req) : { status: 400, body: { error: { message: `content policy: refused "${prompt.slice(at, at + 40)}"`, type: 'invalid_request_error' } } };
  });
  await handle.executeUpdate(optimizeNowUpdate, { args: [{ reason: 'test' }] });
  await waitForStatus(handle, (s) => s.cycles[0]?.decision === 'failed', 60_000);
  cycleFailure = await client.workflow.getHandle(cycleWorkflowId(learnerWorkflowId('sealed'), 1)).result().catch((err: unknown) => err);
  await handle.terminate('test done');
  // Raw, as the server stores it: the plain client has no codec and does not decode anything.
  const raw = (workflowId: string) => h.env.client.workflowService.getWorkflowExecutionHistory({ namespace: h.env.namespace, execution: { workflowId } });
  history = (await raw(handle.workflowId)).history as temporal.api.history.v1.IHistory;
  cycleHistory = (await raw(cycleWorkflowId(learnerWorkflowId('sealed'), 1))).history as temporal.api.history.v1.IHistory;
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await h?.stop();
});

/**
 * Every payload in the history except search attributes (indexed by the server, never encoded) and the
 * SDK core's `patched()` markers (core writes them itself; they hold only the patch id, no user data).
 */
function payloads(node: unknown, out: temporal.api.common.v1.IPayload[] = []): temporal.api.common.v1.IPayload[] {
  if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return out;
  if ((node as temporal.api.history.v1.IMarkerRecordedEventAttributes).markerName === 'core_patch') return out;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'searchAttributes') continue;
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) out.push(value as temporal.api.common.v1.IPayload);
    else payloads(value, out);
  }
  return out;
}

it('stores ciphertext only: every payload is sealed and the feedback text appears nowhere', async () => {
  for (const stored of [history, cycleHistory]) {
    const all = payloads(stored);
    expect(all.length).toBeGreaterThan(5);
    const encodings = new Set(all.map((p) => Buffer.from(p.metadata?.encoding ?? []).toString()));
    expect([...encodings]).toEqual(['binary/encrypted']);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(stored).finish());
    expect(bytes.includes(Buffer.from('zebra-invoice'))).toBe(false);
  }
  // The store, on the other hand, has the feedback in clear (it is the system of record).
  expect((await h.store.listFeedback('sealed')).map((f) => f.input.text)).toEqual(Array.from({ length: SEALED }, (_, i) => `${MARKER} (${i})`));
});

it('seals failure messages, which quoted the feedback text, and the key opens them', () => {
  const failed = (cycleHistory.events ?? []).flatMap((e) => (e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : []));
  expect(failed.length).toBeGreaterThan(0);
  for (const failure of failed) {
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace ?? '').toBe('');
    expect(Buffer.from(failure.encodedAttributes?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  }
  // Decoded with the key, the cycle's failure says what the provider said, quote included.
  const chain: string[] = [];
  for (let err = cycleFailure as { message?: string; cause?: unknown } | undefined; err; err = err.cause as typeof err) chain.push(err.message ?? '');
  expect(chain.join(' / ')).toMatch(/content policy: refused "zebra-invoice-7731/);
});

it('replays with the key, and fails clearly with a key it does not know', async () => {
  const replay = (dataConverter: DataConverter) =>
    TemporalWorker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, handle.workflowId);
  await expect(replay(converter(KEYS))).resolves.toBeUndefined();
  const stranger: EncryptionKeys = { current: { id: 'someone-else', key: randomBytes(32) }, older: [] };
  await expect(replay(converter(stranger))).rejects.toThrow(/cannot decrypt a payload sealed with key \\?"test-2026\\?": this process has \\?"someone-else/);
});

it('the temporal CLI shows the payloads in clear through the codec server, and only with its token', async () => {
  const codec = await startCodecServer({ codec: new EncryptionCodec(KEYS), token: 'cli-token', origins: [] });
  try {
    const show = (...extra: string[]) =>
      run(temporalBinary(), ['workflow', 'show', '--address', h.env.address, '--workflow-id', handle.workflowId, '--output', 'json', ...extra], { maxBuffer: 32 * 1024 * 1024 });
    /** The feedback signal's payload as the CLI printed it: encoding and data, base64-decoded. */
    const signalPayload = (stdout: string) => {
      const { events } = JSON.parse(stdout) as { events: { workflowExecutionSignaledEventAttributes?: { input: { payloads: { metadata: { encoding: string }; data: string }[] } } }[] };
      const payload = events.find((e) => e.workflowExecutionSignaledEventAttributes)?.workflowExecutionSignaledEventAttributes?.input.payloads[0];
      return { encoding: Buffer.from(payload?.metadata.encoding ?? '', 'base64').toString(), data: Buffer.from(payload?.data ?? '', 'base64').toString() };
    };
    const decoded = signalPayload((await show('--codec-endpoint', codec.url, '--codec-auth', 'Bearer cli-token')).stdout);
    expect(decoded.encoding).toBe('json/plain');
    expect(JSON.parse(decoded.data).input).toEqual({ text: `${MARKER} (0)` });
    const sealed = signalPayload((await show()).stdout);
    expect(sealed.encoding).toBe('binary/encrypted');
    expect(sealed.data).not.toContain('zebra');
    // A wrong token gets 401s; the CLI retries them until its deadline, then fails without output.
    await expect(show('--codec-endpoint', codec.url, '--codec-auth', 'Bearer wrong')).rejects.toThrow(/Command failed/);
  } finally {
    await codec.close();
  }
});
