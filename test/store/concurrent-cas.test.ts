/**
 * Two (and more) Store instances on one file, in separate threads with their own SQLite connections,
 * race to move the same pointer: compare-and-set must let exactly one of them win.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { openStore } from '../../src/store';

/** Loads the TypeScript store in a worker (transpile-only), waits for the start signal, then races. */
const RACER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const ts = require(workerData.typescript);
require.extensions['.ts'] = (m, file) => m._compile(
  ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText,
  file,
);
const { openStore } = require(workerData.storeModule);
(async () => {
  const store = await openStore(workerData.path);
  const gate = new Int32Array(workerData.gate);
  Atomics.add(gate, 1, 1);
  Atomics.wait(gate, 0, 0);
  const won = await store.compareAndSetActive('t', { expected: null, next: workerData.next, actor: workerData.next, reason: 'race' });
  await store.close();
  parentPort.postMessage(won);
})();
`;

const RACERS = 3;

it('exactly one of several concurrent compare-and-sets on one file wins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-cas-'));
  const path = join(dir, 'k.db');
  try {
    const store = await openStore(path);
    const versions = Array.from({ length: RACERS }, (_, i) =>
      createArtifact(createProgram('q -> a', `racer ${i}`), { parentId: null, datasetId: null, optimizer: null }),
    );
    for (const v of versions) await store.putProgram('t', v);

    const gate = new SharedArrayBuffer(8);
    const flags = new Int32Array(gate);
    const results = versions.map(
      (v) =>
        new Promise<boolean>((done, fail) => {
          const worker = new Worker(RACER, {
            eval: true,
            workerData: { typescript: require.resolve('typescript'), storeModule: resolve(__dirname, '../../src/store/index.ts'), path, gate, next: v.id },
          });
          worker.once('message', done);
          worker.once('error', fail);
        }),
    );
    // Release every racer at once, after all have opened their connection.
    while (Atomics.load(flags, 1) < RACERS) await new Promise((r) => setTimeout(r, 10));
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);

    const won = await Promise.all(results);
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = versions[won.indexOf(true)]?.id;
    expect((await store.getPointers('t')).active).toBe(winner);
    expect((await store.registryHistory('t')).map((h) => h.actor)).toEqual([winner]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
