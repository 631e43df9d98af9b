/**
 * A live canary over real HTTP: with a canary in the store, `kkachi serve` answers its share of keys
 * with the canary version (within ±3 points over 2,000 keys) and every key keeps its arm; ending the
 * canary sends every key back to the active version on the next request.
 */
import { createArtifact } from '../../src/core/artifact';
import { createProgram } from '../../src/core/program';
import { KEYWORD_SIGNATURE } from '../support/keyword-world';
import { setUpRunningHarness, type Harness } from '../workflows/harness';
import { serve, startLearner, type Served } from './support';

let h: Harness;
let s: Served;
beforeAll(async () => {
  h = await setUpRunningHarness();
  s = await serve(h);
}, 60_000);
afterAll(async () => {
  await s?.close();
  await h?.stop();
});

/** Predicts for every key, 50 requests at a time; returns the version that answered each. */
async function versionsFor(keys: readonly string[]): Promise<string[]> {
  const answers: string[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(
      keys.slice(i, i + 50).map(async (key, j) => {
        const res = await s.call('POST', '/v1/tasks/routed/predict', { inputs: { text: `great value ${i + j}` }, key });
        expect(res.status).toBe(200);
        answers[i + j] = res.body.versionId;
      }),
    );
  }
  return answers;
}

it('serves the canary to its share of keys, sticky per key, and stops when the canary ends', async () => {
  const { baseline } = await startLearner(h, 'routed');
  const candidate = createArtifact(createProgram(KEYWORD_SIGNATURE, 'Classify the sentiment of the review, carefully.'), { parentId: baseline, datasetId: null, optimizer: null });
  await h.store.putProgram('routed', candidate);
  await h.store.setCanary('routed', { versionId: candidate.id, share: 0.2 }, { actor: 'test', reason: 'canary 20%' });

  const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
  const first = await versionsFor(keys);
  expect(new Set(first)).toEqual(new Set([baseline, candidate.id]));
  const share = first.filter((v) => v === candidate.id).length / keys.length;
  expect(Math.abs(share - 0.2)).toBeLessThanOrEqual(0.03);
  // Sticky: the same keys again land on the same arms.
  expect(await versionsFor(keys.slice(0, 300))).toEqual(first.slice(0, 300));

  await h.store.setCanary('routed', null, { actor: 'test', reason: 'canary over' });
  expect(new Set(await versionsFor(keys.slice(0, 200)))).toEqual(new Set([baseline]));
}, 180_000);
