/**
 * FeedbackIngest's group commit on a real SQLite store: records from concurrent requests travel in one
 * delivery and one receipts transaction, and when several requests name one prediction id in the same
 * batch exactly one of them is the acceptance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedbackPayload } from '../../src/contract';
import { FeedbackIngest } from '../../src/serving/feedback';
import type { FeedbackTarget } from '../../src/serving/feedback-target';
import type { ServedTask } from '../../src/serving/tasks';
import { openStore, type Store } from '../../src/store';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kkachi-ingest-'));
  store = await openStore(join(dir, 'k.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const task = { name: 't' } as ServedTask;
const record = (id: string): FeedbackPayload => ({ predictionId: id, input: { text: 'x' }, predicted: { sentiment: 'positive' }, correct: { sentiment: 'negative' } });

it('delivers concurrent requests in one batch and accepts a repeated id once', async () => {
  const deliveries: string[][] = [];
  const target: FeedbackTarget = { deliver: async (_task, records) => void deliveries.push(records.map((r) => r.predictionId)) };
  const ingest = new FeedbackIngest({ store, target });
  const answers = await Promise.all([ingest.submit(task, [record('a')]), ingest.submit(task, [record('a')]), ingest.submit(task, [record('b')]), ingest.submit(task, [record('a')])]);
  expect(deliveries).toEqual([['a', 'a', 'b', 'a']]);
  expect(answers).toEqual([
    { accepted: ['a'], duplicate: [] },
    { accepted: [], duplicate: ['a'] },
    { accepted: ['b'], duplicate: [] },
    { accepted: [], duplicate: ['a'] },
  ]);
  // Taken once: a later request is a duplicate without a delivery.
  expect(await ingest.submit(task, [record('a')])).toEqual({ accepted: [], duplicate: ['a'] });
  expect(deliveries).toHaveLength(1);
});

it('records no receipt when the delivery fails, so the retry is delivered again', async () => {
  let up = false;
  const delivered: string[] = [];
  const target: FeedbackTarget = {
    deliver: async (_task, records) => {
      if (!up) throw new Error('Temporal is unreachable');
      delivered.push(...records.map((r) => r.predictionId));
    },
  };
  const ingest = new FeedbackIngest({ store, target });
  await expect(ingest.submit(task, [record('c')])).rejects.toThrow('unreachable');
  up = true;
  expect(await ingest.submit(task, [record('c')])).toEqual({ accepted: ['c'], duplicate: [] });
  expect(delivered).toEqual(['c']);
});
