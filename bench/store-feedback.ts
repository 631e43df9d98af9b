/**
 * Feedback persisted per second by the store back ends, in the chunks the learner's `persistFeedback`
 * activity sends (BATCH_SIZE records per flush, CHUNK_RECORDS at most), one writer and four writers at
 * once (four learners, or four worker processes' activities). Every chunk is one `insertFeedback` call,
 * one transaction, as in production. SQLite: a WAL file; PostgreSQL: a throwaway local cluster.
 * Run: see docs/BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedbackRecord } from '../src/core/types';
import { openStore, type Store } from '../src/store';
import { BATCH_SIZE, CHUNK_RECORDS } from '../src/workflows/feedback';
import { startPostgres } from '../test/support/postgres';

const RECORDS = 20_000;

function records(writer: number, n: number): FeedbackRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    predictionId: `w${writer}-p${i}`,
    input: { text: `review number ${i}: the delivery was late but the product works as described` },
    predicted: { sentiment: 'positive' },
    correct: { sentiment: i % 3 === 0 ? 'negative' : 'positive' },
    versionId: 'v1',
    receivedAt: 1_764_600_000_000 + i,
  }));
}

/** `writers` stores on one location, each inserting its share in chunks; records per second overall. */
async function run(location: string, writers: number, chunk: number): Promise<number> {
  const stores: Store[] = await Promise.all(Array.from({ length: writers }, () => openStore(location)));
  const started = process.hrtime.bigint();
  await Promise.all(
    stores.map(async (store, w) => {
      const mine = records(w, RECORDS / writers);
      for (let i = 0; i < mine.length; i += chunk) await store.insertFeedback(`task-${chunk}-${writers}`, mine.slice(i, i + chunk));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const counted = (await stores[0]?.feedbackCounts(`task-${chunk}-${writers}`))?.total;
  if (counted !== RECORDS) throw new Error(`stored ${counted}, expected ${RECORDS}`);
  await Promise.all(stores.map((s) => s.close()));
  return RECORDS / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-bench-store-'));
  const pg = await startPostgres();
  try {
    console.log(`| back end | chunk (records) | writers | records/s |\n|---|---|---|---|`);
    for (const [name, location] of [
      ['SQLite (WAL file)', async () => join(dir, `k${Math.random().toString(36).slice(2)}.db`)],
      ['PostgreSQL 15 (local)', () => pg.database()],
    ] as const) {
      for (const chunk of [BATCH_SIZE, CHUNK_RECORDS]) {
        for (const writers of [1, 4]) {
          const rate = await run(await location(), writers, chunk);
          console.log(`| ${name} | ${chunk} | ${writers} | ${Math.round(rate).toLocaleString('en-US')} |`);
        }
      }
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
