/**
 * Version history and rollback semantics on every store back end: a rollback restores the last version
 * that served well before the current one, marks the current one rolled back, and a second rollback
 * goes further back instead of re-promoting the version just rolled back. Plus the canary pointer.
 */
import BetterSqlite3 from 'better-sqlite3';
import { createArtifact, type ProgramArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { MIGRATIONS, migrateSqlite, openStore, type Store } from '../../src/store';
import { BACKENDS, sqliteBackend, useBackend } from '../support/stores';

const TASK = 'sentiment';
const artifact = (instructions: string): ProgramArtifact =>
  createArtifact(createProgram('text -> sentiment: positive|negative', instructions), { parentId: null, datasetId: null, optimizer: null });

describe.each(BACKENDS)('%s store', (_name, start) => {
  const { fresh } = useBackend(start);

  describe('rollback through the version history', () => {
    let store: Store;
    const [a, b, c, d] = [artifact('a'), artifact('b'), artifact('c'), artifact('d')];
    const promote = (from: string | null, to: string) => store.compareAndSetActive(TASK, { expected: from, next: to, actor: 'gate', reason: `promote ${to}` });
    const rollBack = (from: string) => store.rollBack(TASK, from, { actor: 'operator', reason: `bad ${from}` });
    const active = async () => (await store.getPointers(TASK)).active;

    beforeEach(async () => {
      let clock = 0;
      store = await fresh({ now: () => ++clock });
      for (const v of [a, b, c, d]) await store.putProgram(TASK, v);
      await promote(null, a.id);
      await promote(a.id, b.id);
      await promote(b.id, c.id);
    });

    it('restores the version before, then the one before that, never the one just rolled back', async () => {
      expect(await rollBack(c.id)).toBe(b.id);
      expect(await store.getPointers(TASK)).toMatchObject({ active: b.id, previous: a.id });
      expect(await rollBack(b.id)).toBe(a.id);
      // Nothing good is left before a: a (with b and c marked) stays in service.
      expect(await store.getPointers(TASK)).toMatchObject({ active: a.id, previous: null });
      expect(await rollBack(a.id)).toBeNull();
      expect(await active()).toBe(a.id);

      const marks = Object.fromEntries((await store.versions(TASK)).map((v) => [v.versionId, v.rolledBack?.reason ?? null]));
      expect(marks).toEqual({ [a.id]: null, [b.id]: `bad ${b.id}`, [c.id]: `bad ${c.id}`, [d.id]: null });
    });

    it('is a no-op for a version that is no longer active (a retried compensation)', async () => {
      expect(await rollBack(c.id)).toBe(b.id);
      const historyLength = (await store.registryHistory(TASK)).length;
      expect(await rollBack(c.id)).toBeNull();
      expect(await active()).toBe(b.id);
      expect(await store.registryHistory(TASK)).toHaveLength(historyLength);
    });

    it('skips a rolled-back version that served between two good ones', async () => {
      await rollBack(c.id); // b serves again
      await promote(b.id, d.id); // history: a, b, c, b, d
      expect(await store.getPointers(TASK)).toMatchObject({ active: d.id, previous: b.id });
      expect(await rollBack(d.id)).toBe(b.id);
      expect(await store.getPointers(TASK)).toMatchObject({ active: b.id, previous: a.id });
    });

    it('a new promotion of a rolled-back version clears its mark', async () => {
      await rollBack(c.id);
      await promote(b.id, c.id);
      expect((await store.versions(TASK)).find((v) => v.versionId === c.id)?.rolledBack).toBeNull();
      expect(await rollBack(c.id)).toBe(b.id);
    });

    it('lists versions oldest first with every time each one went into service', async () => {
      await rollBack(c.id);
      const versions = await store.versions(TASK);
      expect(versions.map((v) => v.versionId)).toEqual([a.id, b.id, c.id, d.id]);
      expect(versions.map((v) => v.servedAt.length)).toEqual([1, 2, 1, 0]);
      expect(versions[2]?.rolledBack).toEqual({ at: expect.any(Number), reason: `bad ${c.id}` });
    });
  });

  describe('canary pointer', () => {
    let store: Store;
    const [a, b] = [artifact('a'), artifact('b')];
    beforeEach(async () => {
      store = await fresh();
      await store.putProgram(TASK, a);
      await store.putProgram(TASK, b);
      await store.compareAndSetActive(TASK, { expected: null, next: a.id, actor: 'kkachi', reason: 'baseline' });
    });

    it('is read with the active version in one routing view, and each real move is recorded once', async () => {
      expect(await store.routing(TASK)).toEqual({ active: a.id, canary: null });
      await store.setCanary(TASK, { versionId: b.id, share: 0.1 }, { actor: 'rollout', reason: 'canary 10%' });
      await store.setCanary(TASK, { versionId: b.id, share: 0.1 }, { actor: 'rollout', reason: 'retry' });
      expect(await store.routing(TASK)).toEqual({ active: a.id, canary: { versionId: b.id, share: 0.1 } });
      await store.setCanary(TASK, null, { actor: 'rollout', reason: 'canary over' });
      expect(await store.routing(TASK)).toEqual({ active: a.id, canary: null });
      const moves = (await store.registryHistory(TASK)).filter((e) => e.pointer === 'canary');
      expect(moves.map((e) => [e.fromVersion, e.toVersion, e.reason])).toEqual([
        [null, b.id, 'canary 10%'],
        [b.id, null, 'canary over'],
      ]);
      await expect(store.setCanary(TASK, { versionId: 'ghost', share: 0.5 }, { actor: 'x', reason: 'y' })).rejects.toThrow(/unknown program version ghost/);
    });

    it("an operator's rollback ends the canary and marks its version, only while it is still the canary", async () => {
      await store.setCanary(TASK, { versionId: b.id, share: 0.2 }, { actor: 'rollout', reason: 'canary 20%' });
      expect(await store.rollBackCanary(TASK, a.id, { actor: 'operator', reason: 'not the canary' })).toBe(false);
      expect(await store.rollBackCanary(TASK, b.id, { actor: 'operator', reason: 'complaints' })).toBe(true);
      expect(await store.routing(TASK)).toEqual({ active: a.id, canary: null });
      // A retried call finds no canary and records nothing more.
      expect(await store.rollBackCanary(TASK, b.id, { actor: 'operator', reason: 'complaints' })).toBe(false);
      const moves = (await store.registryHistory(TASK)).filter((e) => e.pointer === 'canary');
      expect(moves.map((e) => [e.toVersion, e.actor, e.reason])).toEqual([
        [b.id, 'rollout', 'canary 20%'],
        [null, 'operator', 'complaints'],
      ]);
      const marks = Object.fromEntries((await store.versions(TASK)).map((v) => [v.versionId, v.rolledBack?.reason ?? null]));
      expect(marks).toEqual({ [a.id]: null, [b.id]: 'complaints' });
    });

    it('a task with no registry row routes nowhere', async () => {
      expect(await store.routing('unknown')).toEqual({ active: null, canary: null });
    });
  });
});

it('migrating a SQLite store written before version history keeps its registry history', async () => {
  const backend = sqliteBackend();
  try {
    const path = await backend.location();
    const db = new BetterSqlite3(path);
    migrateSqlite(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO registry_history (task, at, pointer, from_version, to_version, actor, reason) VALUES ('t', 1, 'active', NULL, 'v1', 'kkachi', 'baseline')").run();
    db.close();
    const store = await openStore(path);
    expect(await store.registryHistory('t')).toEqual([{ task: 't', at: 1, pointer: 'active', fromVersion: null, toVersion: 'v1', actor: 'kkachi', reason: 'baseline' }]);
    await store.close();
  } finally {
    await backend.stop();
  }
});
