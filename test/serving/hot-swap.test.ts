/**
 * Hot swap under load, over real HTTP: 2,000 predictions in flight 200 at a time through two serving
 * processes' worth of servers (each with its own connection to one SQLite store) while a promotion
 * moves the registry's `active` pointer midway. No request fails, every answer names its version, both
 * versions answer, and no request sent after the promotion committed is answered by the old version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import type { TaskSpecInput } from '../../src/core/task-spec';
import { startServing, type RunningServer } from '../../src/serving/server';
import { openStore, type Store } from '../../src/store';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const SIGNATURE = 'text -> sentiment: positive|negative';
const TOTAL = 2_000;
const IN_FLIGHT = 200;

let dir: string;
let double: LMDouble;
let writer: Store;
const servers: { server: RunningServer; store: Store }[] = [];
const v1 = createArtifact(createProgram(SIGNATURE, 'Answer positive.', { adapter: 'completion' }), { parentId: null, datasetId: null, optimizer: null });
const v2 = createArtifact(createProgram(SIGNATURE, 'Answer negative.', { adapter: 'completion' }), { parentId: v1.id, datasetId: null, optimizer: null });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kkachi-swap-'));
  double = await startLMDouble();
  // The reply shows which program ran.
  double.setHandler((req) => (req.messages.some((m) => m.content.includes('Answer negative.')) ? 'Sentiment: negative' : 'Sentiment: positive'));
  const spec: TaskSpecInput = {
    name: 'swap',
    signature: SIGNATURE,
    adapter: 'completion',
    metric: { name: 'label_accuracy' },
    lm: { provider: 'openai', model: 'double', baseURL: double.baseURL },
    optimizer: { name: 'LabeledFewShot' },
    data: { train: { examples: [{ inputs: { text: 'a' }, outputs: { sentiment: 'positive' } }] }, holdout: { examples: [{ inputs: { text: 'b' }, outputs: { sentiment: 'negative' } }] } },
  };
  writer = await openStore(join(dir, 'kkachi.db'));
  await writer.putTaskSpec('swap', spec);
  await writer.putProgram('swap', v1);
  await writer.putProgram('swap', v2);
  await writer.compareAndSetActive('swap', { expected: null, next: v1.id, actor: 'test', reason: 'baseline' });
  for (let i = 0; i < 2; i++) {
    const store = await openStore(join(dir, 'kkachi.db'), { synchronous: 'normal' });
    servers.push({ store, server: await startServing({ store, temporal: null, logLevel: false }) });
  }
}, 30_000);

afterAll(async () => {
  for (const { server, store } of servers) {
    await server.close();
    await store.close();
  }
  await writer?.close();
  await double?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  sentAt: number;
  status: number;
  versionId?: string;
  sentiment?: string;
}

it('follows a promotion under load: 0 errors, both versions, nothing old after the swap', async () => {
  const outcomes: Outcome[] = [];
  let sent = 0;
  let swapDoneAt = Infinity;
  let swap: Promise<void> | undefined;

  const one = async (i: number): Promise<void> => {
    const { url } = (servers[i % servers.length] as { server: RunningServer }).server;
    const sentAt = performance.now();
    try {
      const res = await fetch(`${url}/v1/tasks/swap/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { text: `review ${i}` } }) });
      const body = (await res.json()) as { versionId?: string; outputs?: { sentiment?: string } };
      outcomes.push({ sentAt, status: res.status, versionId: body.versionId, sentiment: body.outputs?.sentiment });
    } catch {
      outcomes.push({ sentAt, status: 0 });
    }
    if (outcomes.length === TOTAL / 2) {
      // The promotion, as the promote activity does it: compare-and-set on the shared store.
      swap = writer.compareAndSetActive('swap', { expected: v1.id, next: v2.id, actor: 'test', reason: 'promotion under load' }).then((moved) => {
        expect(moved).toBe(true);
        swapDoneAt = performance.now();
      });
    }
  };
  const lanes = Array.from({ length: IN_FLIGHT }, async () => {
    while (sent < TOTAL) await one(sent++);
  });
  await Promise.all(lanes);
  await swap;

  expect(outcomes).toHaveLength(TOTAL);
  expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  // Each answer is the program of the version it names.
  for (const o of outcomes) expect({ v: o.versionId, s: o.sentiment }).toEqual(o.versionId === v1.id ? { v: v1.id, s: 'positive' } : { v: v2.id, s: 'negative' });
  const after = outcomes.filter((o) => o.sentAt > swapDoneAt);
  expect(after.length).toBeGreaterThan(TOTAL / 4);
  expect(after.filter((o) => o.versionId !== v2.id)).toEqual([]);
  expect(outcomes.filter((o) => o.versionId === v1.id).length).toBeGreaterThanOrEqual(TOTAL / 2 - IN_FLIGHT);
  // Every prediction was logged under the version that answered it.
  const stats = await writer.servingStats('swap');
  expect(Object.fromEntries(stats.map((s) => [s.versionId, s.predictions]))).toEqual({
    [v1.id]: outcomes.filter((o) => o.versionId === v1.id).length,
    [v2.id]: outcomes.filter((o) => o.versionId === v2.id).length,
  });
}, 120_000);
