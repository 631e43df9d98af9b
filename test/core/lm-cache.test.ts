import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedLM, cacheKey } from '../../src/core/lm/cache';
import { createLM } from '../../src/core/lm/factory';
import { OpenAICompatibleLM } from '../../src/core/lm/openai';
import { startLMDouble, type LMDouble } from '../support/lm-double';

const SECRET = 'sk-cache-SECRET-0123456789abcdef';
const user = (content: string) => [{ role: 'user' as const, content }];

/** Every file under `dir`, recursively, as [path, contents]. */
async function filesUnder(dir: string): Promise<Array<[string, string]>> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  return Promise.all(names.map(async (e) => [join(e.parentPath, e.name), await readFile(join(e.parentPath, e.name), 'utf8')] as [string, string]));
}

describe('CachedLM', () => {
  let double: LMDouble;
  let dir: string;
  let provider: OpenAICompatibleLM;

  beforeAll(async () => {
    double = await startLMDouble();
  });
  afterAll(() => double.close());
  beforeEach(async () => {
    double.reset();
    double.setHandler((req) => ({ text: `echo ${req.messages[0]?.content}`, usage: { prompt_tokens: 5, completion_tokens: 2 } }));
    dir = await mkdtemp(join(tmpdir(), 'kkachi-lm-cache-'));
    provider = new OpenAICompatibleLM({ model: 'tiny', baseURL: double.baseURL, apiKey: SECRET, retry: 'off' });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('answers a repeated request from disk without an HTTP call', async () => {
    const lm = new CachedLM(provider, dir);
    const first = await lm.complete(user('hi'), { temperature: 0 });
    const second = await new CachedLM(provider, dir).complete(user('hi'), { temperature: 0 });
    expect(first).toMatchObject({ text: 'echo hi', cached: false });
    expect(second).toMatchObject({ text: 'echo hi', cached: true, usage: { promptTokens: 5, completionTokens: 2 } });
    // A hit reports the provider's original latency (what serving the reply costs), not the disk read.
    expect(second.latencyMs).toBe(first.latencyMs);
    expect(double.requests).toHaveLength(1);
    const key = cacheKey(provider.id, user('hi'), { temperature: 0 });
    expect(await filesUnder(dir)).toEqual([[join(dir, key.slice(0, 2), `${key}.json`), expect.any(String)]]);
  });

  it.each([
    ['temperature', { temperature: 0.9 }],
    ['rolloutId', { rolloutId: 'r1' }],
    ['maxTokens', { maxTokens: 5 }],
    ['stop', { stop: ['\n'] }],
    ['choices', { choices: ['a', 'b'] }],
  ])('a different %s is a different key and a new call', async (_name, options) => {
    const lm = new CachedLM(provider, dir);
    await lm.complete(user('hi'), { temperature: 0 });
    await lm.complete(user('hi'), { temperature: 0, ...options });
    expect(double.requests).toHaveLength(2);
  });

  it('keys on the LM id: another model misses', async () => {
    await new CachedLM(provider, dir).complete(user('hi'));
    const other = new OpenAICompatibleLM({ model: 'other', baseURL: double.baseURL, apiKey: SECRET });
    await new CachedLM(other, dir).complete(user('hi'));
    expect(double.requests.map((r) => r.model)).toEqual(['tiny', 'other']);
  });

  it('keys label scoring apart and keeps the label log-probabilities of a hit', async () => {
    double.setHandler(() => ({ text: 'spam', choiceProbs: { spam: 0.9, ham: 0.1 } }));
    const lm = new CachedLM(provider, dir);
    const scoring = { temperature: 0, choices: ['spam', 'ham'], scoreChoices: true };
    const plain = await lm.complete(user('hi'), { temperature: 0, choices: ['spam', 'ham'] });
    const scored = await lm.complete(user('hi'), scoring);
    expect(plain.choiceLogProbs).toBeUndefined();
    expect(scored.choiceLogProbs).toHaveLength(2);
    expect(double.requests).toHaveLength(2);
    const hit = await new CachedLM(provider, dir).complete(user('hi'), scoring);
    expect(hit).toMatchObject({ cached: true, choiceLogProbs: scored.choiceLogProbs });
    const tokens = await lm.complete(user('hi'), { temperature: 0, topLogProbs: 1 });
    expect(tokens.tokenLogProbs).toHaveLength(1);
    expect(await new CachedLM(provider, dir).complete(user('hi'), { temperature: 0, topLogProbs: 1 })).toMatchObject({ cached: true, tokenLogProbs: tokens.tokenLogProbs });
    expect(double.requests).toHaveLength(3);
  });

  it('bypasses reads and writes when cache is false', async () => {
    const lm = new CachedLM(provider, dir);
    await lm.complete(user('hi'), { cache: false });
    expect(await filesUnder(dir)).toHaveLength(0);
    await lm.complete(user('hi'));
    const bypass = await lm.complete(user('hi'), { cache: false });
    expect(bypass.cached).toBe(false);
    expect(double.requests).toHaveLength(3);
  });

  it('treats a corrupt file as a miss and repairs it', async () => {
    const lm = new CachedLM(provider, dir);
    await lm.complete(user('hi'));
    const [[file]] = (await filesUnder(dir)) as [[string, string]];
    await writeFile(file, '{"v":1,"text":');
    const again = await lm.complete(user('hi'));
    expect(again.cached).toBe(false);
    expect(double.requests).toHaveLength(2);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ text: 'echo hi' });
  });

  it('does not cache failures', async () => {
    double.setHandler((_req, i) => (i === 0 ? { status: 503 } : 'fine'));
    const lm = new CachedLM(provider, dir);
    await expect(lm.complete(user('hi'))).rejects.toMatchObject({ kind: 'server' });
    await expect(lm.complete(user('hi'))).resolves.toMatchObject({ text: 'fine', cached: false });
    await expect(lm.complete(user('hi'))).resolves.toMatchObject({ text: 'fine', cached: true });
    expect(double.requests).toHaveLength(2);
  });

  it('shares one provider call between identical concurrent requests', async () => {
    double.setHandler(() => ({ text: 'slow', delayMs: 100 }));
    const lm = new CachedLM(provider, dir);
    const results = await Promise.all([1, 2, 3].map(() => lm.complete(user('same'))));
    expect(double.requests).toHaveLength(1);
    expect(results.map((r) => r.cached).sort()).toEqual([false, true, true]);
    expect(results.every((r) => r.text === 'slow')).toBe(true);
  });

  it('two instances writing the same key concurrently leave one valid file and no temp files', async () => {
    double.setHandler((_req, i) => ({ text: `writer ${i}`, delayMs: 20 }));
    const writers = Array.from({ length: 4 }, () => new CachedLM(provider, dir));
    await Promise.all(writers.map((lm) => lm.complete(user('race'))));
    expect(double.requests).toHaveLength(4);
    const files = await filesUnder(dir);
    expect(files).toHaveLength(1);
    expect(JSON.parse(files[0]![1])).toMatchObject({ v: 2, text: expect.stringMatching(/^writer \d$/) });
    expect((await new CachedLM(provider, dir).complete(user('race'))).cached).toBe(true);
  });

  it('never writes the API key into cache files or the key material', async () => {
    await new CachedLM(provider, dir).complete(user('hi'));
    const savedKey = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = SECRET;
    try {
      const viaFactory = await createLM({ provider: 'openai', model: 'tiny2', baseURL: double.baseURL }, { cacheDir: dir });
      await viaFactory.complete(user('hi'));
      expect(viaFactory.id).not.toContain(SECRET);
    } finally {
      if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = savedKey;
    }
    expect(double.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${SECRET}`, `Bearer ${SECRET}`]);
    const files = await filesUnder(dir);
    expect(files).toHaveLength(2);
    for (const [path, contents] of files) {
      expect(path).not.toContain(SECRET);
      expect(contents).not.toContain(SECRET);
      expect(contents).not.toContain('0123456789abcdef');
    }
    expect(provider.id).not.toContain(SECRET);
  });
});
