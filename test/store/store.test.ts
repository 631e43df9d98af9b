import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { createArtifact, type ProgramArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import type { FeedbackRecord } from '../../src/core/types';
import { defaultStorePath, MIGRATIONS, migratePostgres, migrateSqlite, openStore, storeLocation, type Store } from '../../src/store';
import { BACKENDS, postgresBackend, useBackend } from '../support/stores';

const TASK = 'sentiment';

function artifact(instructions: string): ProgramArtifact {
  return createArtifact(createProgram('text -> sentiment: positive|negative', instructions), { parentId: null, datasetId: null, optimizer: null });
}

function feedback(predictionId: string, predicted: string, correct: string, extra: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return { predictionId, input: { text: `t ${predictionId}` }, predicted: { sentiment: predicted }, correct: { sentiment: correct }, versionId: 'v1', receivedAt: 1_000, ...extra };
}

describe.each(BACKENDS)('%s store', (_name, start) => {
  const { backend, fresh } = useBackend(start);

  it('runs each migration once: reopening keeps data', async () => {
    const location = await backend().location();
    const first = await openStore(location);
    await first.insertFeedback(TASK, [feedback('p1', 'positive', 'negative')]);
    await first.close();

    const again = await openStore(location);
    expect(await again.feedbackCounts(TASK)).toEqual({ total: 1, corrections: 1 });
    await again.close();
  });

  describe('program versions', () => {
    it('stores an artifact once by id and reads it back verified, with its linked report', async () => {
      const store = await fresh({ now: () => 42 });
      const a = artifact('Classify.');
      await store.putProgram(TASK, a);
      await store.putProgram(TASK, a);
      expect(await store.getProgram(a.id)).toEqual(a);
      expect(await store.hasVersion(TASK, a.id)).toBe(true);
      expect(await store.hasVersion('other', a.id)).toBe(false);

      await store.linkEvalReport(a.id, 'report-1');
      expect((await store.getProgram(a.id))?.lineage.evalReportId).toBe('report-1');
      expect(await store.getProgram('nope')).toBeNull();
      await expect(store.linkEvalReport('nope', 'r')).rejects.toThrow(/unknown program version/);
    });
  });

  describe('feedback', () => {
    let store: Store;
    beforeEach(async () => {
      store = await fresh();
    });

    it('counts a prediction id once across two batches and within one', async () => {
      expect(await store.insertFeedback(TASK, [feedback('p1', 'positive', 'negative'), feedback('p2', 'positive', 'positive')])).toEqual({ inserted: 2, duplicates: 0 });
      expect(await store.insertFeedback(TASK, [feedback('p2', 'positive', 'positive'), feedback('p3', 'negative', 'negative'), feedback('p3', 'negative', 'negative')])).toEqual({
        inserted: 1,
        duplicates: 2,
      });
      expect((await store.listFeedback(TASK)).map((r) => r.predictionId)).toEqual(['p1', 'p2', 'p3']);
      expect(await store.feedbackCounts(TASK)).toEqual({ total: 3, corrections: 1 });
      // The same prediction id under another task is another record.
      expect((await store.insertFeedback('other', [feedback('p1', 'positive', 'positive')])).inserted).toBe(1);
    });

    it('tells when stored prediction ids were received, and nothing of ids it does not have', async () => {
      await store.insertFeedback(TASK, [feedback('p1', 'positive', 'negative'), feedback('p2', 'positive', 'positive', { receivedAt: 2_000 })]);
      await store.insertFeedback('other', [feedback('p3', 'positive', 'positive')]);
      expect(await store.feedbackReceivedAt(TASK, ['p2', 'p1', 'p3', 'nope'])).toEqual(new Map([['p1', 1_000], ['p2', 2_000]]));
      expect(await store.feedbackReceivedAt(TASK, [])).toEqual(new Map());
    });

    it('counts a prediction id once when two handles insert it at the same time', async () => {
      const location = await backend().location();
      const [a, b] = [await openStore(location), await openStore(location)];
      try {
        const batch = Array.from({ length: 50 }, (_, i) => feedback(`p${i}`, 'positive', i % 2 ? 'negative' : 'positive'));
        const results = await Promise.all([a.insertFeedback(TASK, batch), b.insertFeedback(TASK, [...batch].reverse())]);
        expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(50);
        expect(await a.feedbackCounts(TASK)).toEqual({ total: 50, corrections: 25 });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('reads records back as they were written', async () => {
      const record = feedback('p1', 'positive', 'negative', { input: { text: 'x', n: 3, flag: true }, versionId: null, receivedAt: 1_764_600_000_000 });
      await store.insertFeedback(TASK, [record]);
      expect(await store.listFeedback(TASK)).toEqual([record]);
    });

    it('a correction is a field that differs, whatever the key order', async () => {
      await store.insertFeedback(TASK, [
        { ...feedback('p1', '', ''), predicted: { a: 'x', b: 'y' }, correct: { b: 'y', a: 'x' } },
        { ...feedback('p2', '', ''), predicted: { a: 'x', b: 'y' }, correct: { a: 'x', b: 'z' } },
      ]);
      expect(await store.feedbackCounts(TASK)).toEqual({ total: 2, corrections: 1 });
    });

    it('a field only the prediction carries is a confirmation, as the learner counts it (core isCorrection)', async () => {
      await store.insertFeedback(TASK, [{ ...feedback('p1', 'positive', 'positive'), predicted: { sentiment: 'positive', confidence: 0.9 } }]);
      expect(await store.feedbackCounts(TASK)).toEqual({ total: 1, corrections: 0 });
      expect(await store.liveStats(TASK, 'v1', 0)).toEqual({ n: 1, correct: 1 });
    });

    it('live stats count one version since a time; a confirmation is correct', async () => {
      await store.insertFeedback(TASK, [
        feedback('old', 'positive', 'positive', { receivedAt: 10 }),
        feedback('a', 'positive', 'positive', { receivedAt: 100 }),
        feedback('b', 'positive', 'negative', { receivedAt: 150 }),
        feedback('c', 'negative', 'negative', { receivedAt: 200, versionId: 'v2' }),
      ]);
      expect(await store.liveStats(TASK, 'v1', 100)).toEqual({ n: 2, correct: 1 });
      expect(await store.liveStats(TASK, 'v2', 0)).toEqual({ n: 1, correct: 1 });
      expect(await store.liveStats(TASK, 'v3', 0)).toEqual({ n: 0, correct: 0 });
    });
  });

  describe('dataset snapshots and reports', () => {
    it('snapshots are content-addressed and idempotent', async () => {
      const store = await fresh();
      const content = { task: TASK, train: [{ id: 'a', inputs: { text: 'x' }, outputs: { sentiment: 'positive' } }], val: [], holdout: [] };
      const first = await store.putDataset(content);
      const second = await store.putDataset({ ...content, train: [...content.train] });
      expect(second.id).toBe(first.id);
      expect(await store.getDataset(first.id)).toEqual(first);
      expect((await store.putDataset({ ...content, val: content.train })).id).not.toBe(first.id);
      expect(await store.getDataset('missing')).toBeNull();
    });

    it('stores a report as JSON under its id', async () => {
      const store = await fresh({ now: () => 5 });
      const report = { n: 1, meanScore: 1, passRate: 1, rows: [], latency: { p50: 1, p95: 2 }, usage: { predictions: 1, promptTokens: 1, completionTokens: 1, cacheHits: 0, errors: 0 }, errors: 0 };
      await store.putReport('r1', TASK, 'v1', report);
      await store.putReport('r1', TASK, 'v1', report);
      expect(await store.getReport('r1')).toEqual({ id: 'r1', task: TASK, versionId: 'v1', report, createdAt: 5 });
      expect(await store.getReport('r2')).toBeNull();
    });
  });

  describe('registry pointers', () => {
    let store: Store;
    let clock: number;
    const [v1, v2, v3] = [artifact('one'), artifact('two'), artifact('three')];
    beforeEach(async () => {
      clock = 0;
      store = await fresh({ now: () => ++clock });
      for (const v of [v1, v2, v3]) await store.putProgram(TASK, v);
    });

    it('moves active → previous and records each change in order', async () => {
      expect(await store.getPointers(TASK)).toEqual({ active: null, previous: null, candidate: null });
      expect(await store.compareAndSetActive(TASK, { expected: null, next: v1.id, actor: 'kkachi', reason: 'baseline' })).toBe(true);
      await store.setCandidate(TASK, v2.id, { actor: 'kkachi', reason: 'cycle 1' });
      expect(await store.compareAndSetActive(TASK, { expected: v1.id, next: v2.id, actor: 'gate', reason: 'promote' })).toBe(true);
      expect(await store.getPointers(TASK)).toEqual({ active: v2.id, previous: v1.id, candidate: v2.id });

      const history = await store.registryHistory(TASK);
      expect(history.map((h) => [h.pointer, h.fromVersion, h.toVersion, h.actor, h.reason])).toEqual([
        ['active', null, v1.id, 'kkachi', 'baseline'],
        ['candidate', null, v2.id, 'kkachi', 'cycle 1'],
        ['active', v1.id, v2.id, 'gate', 'promote'],
      ]);
      expect(history.map((h) => h.at)).toEqual([...history.map((h) => h.at)].sort((a, b) => a - b));
    });

    it('refuses a stale expected value and records nothing', async () => {
      await store.compareAndSetActive(TASK, { expected: null, next: v1.id, actor: 'kkachi', reason: 'baseline' });
      expect(await store.compareAndSetActive(TASK, { expected: null, next: v2.id, actor: 'x', reason: 'stale' })).toBe(false);
      expect(await store.compareAndSetActive(TASK, { expected: v3.id, next: v2.id, actor: 'x', reason: 'stale' })).toBe(false);
      expect(await store.getPointers(TASK)).toEqual({ active: v1.id, previous: null, candidate: null });
      expect(await store.registryHistory(TASK)).toHaveLength(1);
    });

    it('never points at a version that is not stored for the task', async () => {
      await expect(store.compareAndSetActive(TASK, { expected: null, next: 'ghost', actor: 'x', reason: 'y' })).rejects.toThrow(/unknown program version ghost/);
      await expect(store.compareAndSetActive('other', { expected: null, next: v1.id, actor: 'x', reason: 'y' })).rejects.toThrow(/of task "other"/);
      await expect(store.setCandidate(TASK, 'ghost', { actor: 'x', reason: 'y' })).rejects.toThrow(/unknown program version ghost/);
      expect(await store.registryHistory(TASK)).toEqual([]);
    });

    it('one program can be a version of two tasks (same content, same id)', async () => {
      await store.putProgram('other', v1);
      expect(await store.compareAndSetActive('other', { expected: null, next: v1.id, actor: 'x', reason: 'y' })).toBe(true);
      expect((await store.getPointers('other')).active).toBe(v1.id);
      expect((await store.getPointers(TASK)).active).toBeNull();
    });

    it('does not record a candidate move that changes nothing', async () => {
      await store.setCandidate(TASK, v2.id, { actor: 'a', reason: 'r' });
      await store.setCandidate(TASK, v2.id, { actor: 'a', reason: 'r' });
      await store.setCandidate(TASK, null, { actor: 'a', reason: 'cleared' });
      expect((await store.registryHistory(TASK)).map((h) => h.toVersion)).toEqual([v2.id, null]);
    });
  });
});

describe('choosing and migrating the SQLite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kkachi-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to <KKACHI_HOME>/kkachi.db in WAL mode and creates the directory; KKACHI_STORE_URL overrides it', async () => {
    const path = defaultStorePath({ KKACHI_HOME: join(dir, 'home') });
    expect(path).toBe(join(dir, 'home', 'kkachi.db'));
    expect(storeLocation({ KKACHI_HOME: join(dir, 'home') })).toBe(path);
    expect(storeLocation({ KKACHI_HOME: join(dir, 'home'), KKACHI_STORE_URL: 'postgres://h/db' })).toBe('postgres://h/db');
    await (await openStore(path)).close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies only the migrations a database has not seen', () => {
    const db = new BetterSqlite3(':memory:');
    const a = () => 'CREATE TABLE a (x)';
    migrateSqlite(db, [a]);
    migrateSqlite(db, [a, () => 'CREATE TABLE b (y)']); // would fail if the first ran again
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(() => migrateSqlite(db, [a])).toThrow(/newer than this Kkachi/);
    db.close();
  });
});

describe('choosing and migrating the PostgreSQL store', () => {
  const { backend } = useBackend(postgresBackend);

  async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('applies only the migrations a database has not seen', async () => {
    await withClient(await backend().location(), async (client) => {
      const a = () => 'CREATE TABLE a (x INTEGER)';
      await migratePostgres(client, [a]);
      await migratePostgres(client, [a, () => 'CREATE TABLE b (y INTEGER)']); // would fail if the first ran again
      expect((await client.query('SELECT version FROM kkachi_schema')).rows).toEqual([{ version: 2 }]);
      await expect(migratePostgres(client, [a])).rejects.toThrow(/newer than this Kkachi/);
    });
  });

  it('processes opening a fresh database at once migrate it exactly once', async () => {
    const url = await backend().location();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    await Promise.all(stores.map((s) => s.close()));
    await withClient(url, async (client) => {
      expect((await client.query('SELECT version FROM kkachi_schema')).rows).toEqual([{ version: MIGRATIONS.length }]);
    });
  });

  it('a server that does not answer is a clear error that keeps the password out', async () => {
    const error = (await openStore('postgres://kkachi:s3cret@127.0.0.1:1/kkachi').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^cannot open the PostgreSQL store at postgres:\/\/kkachi:\*\*\*@127\.0\.0\.1:1\/kkachi: /);
    expect(error.message).not.toContain('s3cret');
  });
});
