import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createArtifact, type ProgramArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import type { FeedbackRecord } from '../../src/core/types';
import { defaultStorePath, MIGRATIONS, migrate, openStore, type Store } from '../../src/store';

const TASK = 'sentiment';

function artifact(instructions: string): ProgramArtifact {
  return createArtifact(createProgram('text -> sentiment: positive|negative', instructions), { parentId: null, datasetId: null, optimizer: null });
}

function feedback(predictionId: string, predicted: string, correct: string, extra: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return { predictionId, input: { text: `t ${predictionId}` }, predicted: { sentiment: predicted }, correct: { sentiment: correct }, versionId: 'v1', receivedAt: 1_000, ...extra };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kkachi-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('opening and migrations', () => {
  it('defaults to <KKACHI_HOME>/kkachi.db and creates the directory', () => {
    const path = defaultStorePath({ KKACHI_HOME: join(dir, 'home') });
    expect(path).toBe(join(dir, 'home', 'kkachi.db'));
    openStore(path).close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('runs each migration once: reopening keeps data and the schema version', () => {
    const path = join(dir, 'k.db');
    const first = openStore(path);
    first.insertFeedback(TASK, [feedback('p1', 'positive', 'negative')]);
    first.close();

    const again = openStore(path);
    expect(again.feedbackCounts(TASK)).toEqual({ total: 1, corrections: 1 });
    again.close();
    const db = new BetterSqlite3(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies only the migrations a database has not seen', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db, ['CREATE TABLE a (x)']);
    migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y)']); // would fail if the first ran again
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(() => migrate(db, ['CREATE TABLE a (x)'])).toThrow(/newer than this Kkachi/);
    db.close();
  });
});

describe('program versions', () => {
  let store: Store;
  beforeEach(() => {
    store = openStore(':memory:', { now: () => 42 });
  });
  afterEach(() => store.close());

  it('stores an artifact once by id and reads it back verified, with its linked report', () => {
    const a = artifact('Classify.');
    store.putProgram(TASK, a);
    store.putProgram(TASK, a);
    expect(store.getProgram(a.id)).toEqual(a);
    expect(store.hasVersion(TASK, a.id)).toBe(true);
    expect(store.hasVersion('other', a.id)).toBe(false);

    store.linkEvalReport(a.id, 'report-1');
    expect(store.getProgram(a.id)?.lineage.evalReportId).toBe('report-1');
    expect(store.getProgram('nope')).toBeNull();
    expect(() => store.linkEvalReport('nope', 'r')).toThrow(/unknown program version/);
  });
});

describe('feedback', () => {
  let store: Store;
  beforeEach(() => {
    store = openStore(':memory:');
  });
  afterEach(() => store.close());

  it('counts a prediction id once across two batches and within one', () => {
    expect(store.insertFeedback(TASK, [feedback('p1', 'positive', 'negative'), feedback('p2', 'positive', 'positive')])).toEqual({ inserted: 2, duplicates: 0 });
    expect(store.insertFeedback(TASK, [feedback('p2', 'positive', 'positive'), feedback('p3', 'negative', 'negative'), feedback('p3', 'negative', 'negative')])).toEqual({
      inserted: 1,
      duplicates: 2,
    });
    expect(store.listFeedback(TASK).map((r) => r.predictionId)).toEqual(['p1', 'p2', 'p3']);
    expect(store.feedbackCounts(TASK)).toEqual({ total: 3, corrections: 1 });
    // The same prediction id under another task is another record.
    expect(store.insertFeedback('other', [feedback('p1', 'positive', 'positive')]).inserted).toBe(1);
  });

  it('reads records back as they were written', () => {
    const record = feedback('p1', 'positive', 'negative', { input: { text: 'x', n: 3, flag: true }, versionId: null, receivedAt: 7 });
    store.insertFeedback(TASK, [record]);
    expect(store.listFeedback(TASK)).toEqual([record]);
  });

  it('a correction is a field that differs, whatever the key order', () => {
    store.insertFeedback(TASK, [
      { ...feedback('p1', '', ''), predicted: { a: 'x', b: 'y' }, correct: { b: 'y', a: 'x' } },
      { ...feedback('p2', '', ''), predicted: { a: 'x', b: 'y' }, correct: { a: 'x', b: 'z' } },
    ]);
    expect(store.feedbackCounts(TASK)).toEqual({ total: 2, corrections: 1 });
  });

  it('a field only the prediction carries is a confirmation, as the learner counts it (core isCorrection)', () => {
    store.insertFeedback(TASK, [{ ...feedback('p1', 'positive', 'positive'), predicted: { sentiment: 'positive', confidence: 0.9 } }]);
    expect(store.feedbackCounts(TASK)).toEqual({ total: 1, corrections: 0 });
    expect(store.liveStats(TASK, 'v1', 0)).toEqual({ n: 1, correct: 1 });
  });

  it('live stats count one version since a time; a confirmation is correct', () => {
    store.insertFeedback(TASK, [
      feedback('old', 'positive', 'positive', { receivedAt: 10 }),
      feedback('a', 'positive', 'positive', { receivedAt: 100 }),
      feedback('b', 'positive', 'negative', { receivedAt: 150 }),
      feedback('c', 'negative', 'negative', { receivedAt: 200, versionId: 'v2' }),
    ]);
    expect(store.liveStats(TASK, 'v1', 100)).toEqual({ n: 2, correct: 1 });
    expect(store.liveStats(TASK, 'v2', 0)).toEqual({ n: 1, correct: 1 });
    expect(store.liveStats(TASK, 'v3', 0)).toEqual({ n: 0, correct: 0 });
  });
});

describe('dataset snapshots and reports', () => {
  it('snapshots are content-addressed and idempotent', () => {
    const store = openStore(':memory:');
    const content = { task: TASK, train: [{ id: 'a', inputs: { text: 'x' }, outputs: { sentiment: 'positive' } }], val: [], holdout: [] };
    const first = store.putDataset(content);
    const second = store.putDataset({ ...content, train: [...content.train] });
    expect(second.id).toBe(first.id);
    expect(store.getDataset(first.id)).toEqual(first);
    expect(store.putDataset({ ...content, val: content.train }).id).not.toBe(first.id);
    expect(store.getDataset('missing')).toBeNull();
    store.close();
  });

  it('stores a report as JSON under its id', () => {
    const store = openStore(':memory:', { now: () => 5 });
    const report = { n: 1, meanScore: 1, passRate: 1, rows: [], latency: { p50: 1, p95: 2 }, usage: { calls: 1, promptTokens: 1, completionTokens: 1, cacheHits: 0, errors: 0 }, errors: 0 };
    store.putReport('r1', TASK, 'v1', report);
    expect(store.getReport('r1')).toEqual({ id: 'r1', task: TASK, versionId: 'v1', report, createdAt: 5 });
    expect(store.getReport('r2')).toBeNull();
    store.close();
  });
});

describe('registry pointers', () => {
  let store: Store;
  let clock: number;
  const [v1, v2, v3] = [artifact('one'), artifact('two'), artifact('three')];
  beforeEach(() => {
    clock = 0;
    store = openStore(':memory:', { now: () => ++clock });
    for (const v of [v1, v2, v3]) store.putProgram(TASK, v);
  });
  afterEach(() => store.close());

  it('moves active → previous and records each change in order', () => {
    expect(store.getPointers(TASK)).toEqual({ active: null, previous: null, candidate: null });
    expect(store.compareAndSetActive(TASK, { expected: null, next: v1.id, actor: 'kkachi', reason: 'baseline' })).toBe(true);
    store.setCandidate(TASK, v2.id, { actor: 'kkachi', reason: 'cycle 1' });
    expect(store.compareAndSetActive(TASK, { expected: v1.id, next: v2.id, actor: 'gate', reason: 'promote' })).toBe(true);
    expect(store.getPointers(TASK)).toEqual({ active: v2.id, previous: v1.id, candidate: v2.id });

    const history = store.registryHistory(TASK);
    expect(history.map((h) => [h.pointer, h.fromVersion, h.toVersion, h.actor, h.reason])).toEqual([
      ['active', null, v1.id, 'kkachi', 'baseline'],
      ['candidate', null, v2.id, 'kkachi', 'cycle 1'],
      ['active', v1.id, v2.id, 'gate', 'promote'],
    ]);
    expect(history.map((h) => h.at)).toEqual([...history.map((h) => h.at)].sort((a, b) => a - b));
  });

  it('refuses a stale expected value and records nothing', () => {
    store.compareAndSetActive(TASK, { expected: null, next: v1.id, actor: 'kkachi', reason: 'baseline' });
    expect(store.compareAndSetActive(TASK, { expected: null, next: v2.id, actor: 'x', reason: 'stale' })).toBe(false);
    expect(store.compareAndSetActive(TASK, { expected: v3.id, next: v2.id, actor: 'x', reason: 'stale' })).toBe(false);
    expect(store.getPointers(TASK)).toEqual({ active: v1.id, previous: null, candidate: null });
    expect(store.registryHistory(TASK)).toHaveLength(1);
  });

  it('never points at a version that is not stored for the task', () => {
    expect(() => store.compareAndSetActive(TASK, { expected: null, next: 'ghost', actor: 'x', reason: 'y' })).toThrow(/unknown program version ghost/);
    expect(() => store.compareAndSetActive('other', { expected: null, next: v1.id, actor: 'x', reason: 'y' })).toThrow(/of task "other"/);
    expect(store.registryHistory(TASK)).toEqual([]);
  });

  it('one program can be a version of two tasks (same content, same id)', () => {
    store.putProgram('other', v1);
    expect(store.compareAndSetActive('other', { expected: null, next: v1.id, actor: 'x', reason: 'y' })).toBe(true);
    expect(store.getPointers('other').active).toBe(v1.id);
    expect(store.getPointers(TASK).active).toBeNull();
  });

  it('does not record a candidate move that changes nothing', () => {
    store.setCandidate(TASK, v2.id, { actor: 'a', reason: 'r' });
    store.setCandidate(TASK, v2.id, { actor: 'a', reason: 'r' });
    store.setCandidate(TASK, null, { actor: 'a', reason: 'cleared' });
    expect(store.registryHistory(TASK).map((h) => h.toVersion)).toEqual([v2.id, null]);
  });
});
