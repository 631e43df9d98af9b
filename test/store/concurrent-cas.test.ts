/**
 * Eight processes, each with its own store connection, race to move the same pointer round after
 * round: compare-and-set must let exactly one of them win each round, on every back end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { openStore } from '../../src/store';
import { BACKENDS, useBackend } from '../support/stores';

/** Loads the TypeScript store (transpile-only, register-ts.js), then for each `go` message races once at the given instant. */
const RACER = `
const { openStore } = require(process.env.RACER_STORE);
openStore(process.env.RACER_LOCATION).then((store) => {
  process.on('message', async (m) => {
    if (m.done) return store.close().then(() => process.disconnect());
    while (Date.now() < m.at) {} // every racer leaves the line at the same instant
    const won = await store.compareAndSetActive('t', { expected: m.expected, next: m.next, actor: m.next, reason: 'race ' + m.round });
    process.send({ won });
  });
  process.send({ ready: true });
});
`;

const RACERS = 8;
const ROUNDS = 5;

function racer(location: string): ChildProcess {
  return fork('-e', [RACER], {
    execArgv: ['-r', resolve(__dirname, '../workflows/register-ts.js')],
    env: { ...process.env, RACER_STORE: resolve(__dirname, '../../src/store/index.ts'), RACER_LOCATION: location },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

const reply = <T>(child: ChildProcess): Promise<T> =>
  new Promise((done, fail) => {
    child.once('message', (m) => done(m as T));
    child.once('exit', (code) => fail(new Error(`racer exited with ${code}`)));
  });

describe.each(BACKENDS)('%s store', (_name, start) => {
  const { backend } = useBackend(start);

  it(`exactly one of ${RACERS} processes wins each of ${ROUNDS} compare-and-set rounds`, async () => {
    const location = await backend().location();
    const store = await openStore(location);
    const versions = Array.from({ length: ROUNDS }, (_, round) =>
      Array.from({ length: RACERS }, (_, i) => createArtifact(createProgram('q -> a', `round ${round} racer ${i}`), { parentId: null, datasetId: null, optimizer: null })),
    );
    for (const v of versions.flat()) await store.putProgram('t', v);

    const racers = Array.from({ length: RACERS }, () => racer(location));
    try {
      await Promise.all(racers.map((r) => reply(r)));
      const winners: string[] = [];
      let expected: string | null = null;
      for (let round = 0; round < ROUNDS; round++) {
        const at = Date.now() + 200;
        const results = racers.map((r) => reply<{ won: boolean }>(r));
        racers.forEach((r, i) => r.send({ round, at, expected, next: versions[round]?.[i]?.id }));
        const won = (await Promise.all(results)).map((r) => r.won);
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = versions[round]?.[won.indexOf(true)]?.id as string;
        expect((await store.getPointers('t')).active).toBe(winner);
        winners.push(winner);
        expected = winner;
      }
      const history = await store.registryHistory('t');
      expect(history.map((h) => [h.fromVersion, h.toVersion])).toEqual(winners.map((w, i) => [i === 0 ? null : winners[i - 1], w]));
    } finally {
      for (const r of racers) r.send({ done: true });
      await Promise.all(racers.map((r) => new Promise((done) => (r.exitCode === null ? r.once('exit', done) : done(null)))));
      await store.close();
    }
  }, 120_000);
});
