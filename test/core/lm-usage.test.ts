import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../src/core/errors';
import { CachedLM } from '../../src/core/lm/cache';
import { createLM, LMConfig } from '../../src/core/lm/factory';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { MeteredLM, UsageMeter } from '../../src/core/lm/usage';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const user = (content: string) => [{ role: 'user' as const, content }];

let double: LMDouble;
let dir: string;
beforeAll(async () => {
  double = await startLMDouble();
});
afterAll(() => double.close());
beforeEach(async () => {
  double.reset();
  dir = await mkdtemp(join(tmpdir(), 'kkachi-lm-usage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('UsageMeter and MeteredLM', () => {
  beforeEach(() =>
    double.setHandler((req) =>
      req.messages[0]?.content === 'bad' ? { status: 400 } : { text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 4 } },
    ),
  );

  it('counts provider calls, tokens, cache hits and errors separately', async () => {
    const meter = new UsageMeter();
    const provider = new OpenAICompatibleLM({ model: 'tiny', baseURL: double.baseURL, retry: 'off' });
    const lm = new MeteredLM(new CachedLM(provider, dir), meter);
    await lm.complete(user('a'));
    await lm.complete(user('b'));
    await lm.complete(user('a'));
    await expect(lm.complete(user('bad'))).rejects.toMatchObject({ kind: 'bad_request' });
    expect(meter.snapshot()).toEqual({ calls: 2, promptTokens: 20, completionTokens: 8, cacheHits: 1, errors: 1 });
    expect(double.requests).toHaveLength(3);
  });

  it('returns snapshots that later calls do not change', async () => {
    const meter = new UsageMeter();
    const before = meter.snapshot();
    meter.record({ text: 'x', usage: { promptTokens: 1, completionTokens: 1 }, latencyMs: 1, cached: false });
    expect(before.calls).toBe(0);
    expect(meter.snapshot().calls).toBe(1);
  });
});

describe('createLM', () => {
  beforeEach(() => double.setHandler(() => 'ok'));

  it('builds metered(cached(openai)) with the openai provider by default', async () => {
    const meter = new UsageMeter();
    const lm = await createLM({ model: 'tiny', baseURL: double.baseURL }, { cacheDir: dir, meter });
    expect(lm.id).toBe(`openai:tiny@${new URL(double.baseURL).host}`);
    await lm.complete(user('x'));
    const again = await lm.complete(user('x'));
    expect(again.cached).toBe(true);
    expect(double.requests).toHaveLength(1);
    expect(meter.snapshot()).toMatchObject({ calls: 1, cacheHits: 1 });
    expect(lm.meter).toBe(meter);
  });

  it('runs uncached when cacheDir is null', async () => {
    const lm = await createLM({ model: 'tiny', baseURL: double.baseURL }, { cacheDir: null });
    await lm.complete(user('x'));
    await lm.complete(user('x'));
    expect(double.requests).toHaveLength(2);
    expect(lm.meter.snapshot()).toMatchObject({ calls: 2, cacheHits: 0 });
  });

  it("passes retry 'off' to the provider so a 503 surfaces after one request", async () => {
    double.setHandler(() => ({ status: 503 }));
    const lm = await createLM({ model: 'tiny', baseURL: double.baseURL }, { retry: 'off' });
    await expect(lm.complete(user('x'))).rejects.toMatchObject({ kind: 'server', retryable: true });
    expect(double.requests).toHaveLength(1);
    expect(lm.meter.snapshot().errors).toBe(1);
  });

  it('rejects bad config with a ValidationError naming the field', async () => {
    await expect(createLM({ model: '' })).rejects.toMatchObject({ field: 'lm.model' });
    await expect(createLM({ model: 'm', baseURL: 'not a url' })).rejects.toBeInstanceOf(ValidationError);
    await expect(createLM({ model: 'm', provider: 'bogus' as 'openai' })).rejects.toMatchObject({ field: 'lm.provider' });
    expect(LMConfig.parse({ model: 'm' }).provider).toBe('openai');
  });
});
