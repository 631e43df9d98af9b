import { createArtifact } from '../../src/core/artifact';
import { createLM } from '../../src/core/lm/factory';
import { createProgram } from '../../src/core/program';
import { NoActiveVersionError, Predictor } from '../../src/serving/predictor';
import { openStore, type Store } from '../../src/store';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const SIGNATURE = 'text -> sentiment: positive|negative';

describe('Predictor (serving the registry’s active version)', () => {
  let double: LMDouble;
  let store: Store;
  const v1 = createArtifact(createProgram(SIGNATURE, 'Answer positive.', { adapter: 'completion' }), { parentId: null, datasetId: null, optimizer: null });
  const v2 = createArtifact(createProgram(SIGNATURE, 'Answer negative.', { adapter: 'completion' }), { parentId: v1.id, datasetId: null, optimizer: null });

  beforeAll(async () => {
    double = await startLMDouble();
    // The double answers with whatever the instructions ask for, so the reply shows which program ran.
    double.setHandler((req) => (req.messages.some((m) => m.content.includes('Answer negative.')) ? 'Sentiment: negative' : 'Sentiment: positive'));
  });
  afterAll(() => double.close());
  beforeEach(async () => {
    store = await openStore(':memory:');
    await store.putProgram('sentiment', v1);
    await store.putProgram('sentiment', v2);
  });
  afterEach(() => store.close());

  const predictor = async (onSwap?: (from: string | null, to: string) => void) =>
    new Predictor({ store, task: 'sentiment', lm: await createLM({ provider: 'openai', model: 'm', baseURL: double.baseURL }, { retry: 'off' }), onSwap });

  it('refuses to predict before the task has an active version', async () => {
    const p = await predictor();
    await expect(p.predict({ text: 'hi' })).rejects.toBeInstanceOf(NoActiveVersionError);
  });

  it('hot-swaps to a promoted version on the next prediction, and back on rollback', async () => {
    const swaps: [string | null, string][] = [];
    const p = await predictor((from, to) => swaps.push([from, to]));
    await store.compareAndSetActive('sentiment', { expected: null, next: v1.id, actor: 'test', reason: 'baseline' });

    const first = await p.predict({ text: 'a' });
    expect(first.versionId).toBe(v1.id);
    expect(first.prediction.ok && first.prediction.outputs).toEqual({ sentiment: 'positive' });

    await store.compareAndSetActive('sentiment', { expected: v1.id, next: v2.id, actor: 'test', reason: 'promote' });
    const second = await p.predict({ text: 'a' });
    expect(second.versionId).toBe(v2.id);
    expect(second.prediction.ok && second.prediction.outputs).toEqual({ sentiment: 'negative' });

    await store.compareAndSetActive('sentiment', { expected: v2.id, next: v1.id, actor: 'test', reason: 'rollback' });
    expect((await p.predict({ text: 'a' })).versionId).toBe(v1.id);

    expect(swaps).toEqual([
      [null, v1.id],
      [v1.id, v2.id],
      [v2.id, v1.id],
    ]);
    expect(new Set([first.predictionId, second.predictionId]).size).toBe(2);
  });
});
