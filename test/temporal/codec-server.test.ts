/** The codec server over real HTTP: token, CORS for the UI origin, decode and encode. */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { startCodecServer, type RunningCodecServer } from '../../src/temporal/codec-server';
import { EncryptionCodec } from '../../src/temporal/encryption';

const UI = 'http://localhost:8233';
const codec = new EncryptionCodec({ current: { id: 'k1', key: randomBytes(32) }, older: [] });
let server: RunningCodecServer;
beforeAll(async () => {
  server = await startCodecServer({ codec, token: 'tok-123', origins: [UI] });
});
afterAll(() => server.close());

const asJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

it('decodes sealed payloads for a caller with the token (header or /t/<token> endpoint)', async () => {
  const sealed = await codec.encode([defaultPayloadConverter.toPayload({ text: 'hello in clear' }) as Payload]);
  for (const [path, headers] of [
    ['/decode', { authorization: 'Bearer tok-123' }],
    ['/t/tok-123/decode', {}],
  ] as const) {
    const res = await post(path, { payloads: sealed.map(asJson) }, headers);
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString('utf8'))).toEqual({ text: 'hello in clear' });
  }
});

it('encodes too, so the UI can send signals in the same format the workers read', async () => {
  const res = await post('/encode', { payloads: [asJson(defaultPayloadConverter.toPayload('x') as Payload)] }, { authorization: 'Bearer tok-123' });
  const { payloads } = (await res.json()) as { payloads: { metadata: Record<string, string> }[] };
  expect(Buffer.from(payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
});

it('refuses a missing or wrong token, and reports a payload it cannot open', async () => {
  expect((await post('/decode', { payloads: [] })).status).toBe(401);
  expect((await post('/decode', { payloads: [] }, { authorization: 'Bearer nope' })).status).toBe(401);
  expect((await post('/t/nope/decode', { payloads: [] })).status).toBe(401);
  expect((await post('/decode', { payloads: 'x' }, { authorization: 'Bearer tok-123' })).status).toBe(400);
  // proto3 JSON (the temporal CLI) sends no list at all for zero payloads.
  expect(await (await post('/decode', {}, { authorization: 'Bearer tok-123' })).json()).toEqual({ payloads: [] });
  const foreign = await new EncryptionCodec({ current: { id: 'other', key: randomBytes(32) }, older: [] }).encode([defaultPayloadConverter.toPayload(1) as Payload]);
  const res = await post('/decode', { payloads: foreign.map(asJson) }, { authorization: 'Bearer tok-123' });
  expect(res.status).toBe(422);
  expect(((await res.json()) as { error: string }).error).toMatch(/sealed with key "other"/);
});

it('answers the browser preflight for the UI origin only', async () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
  const ok = await preflight(UI);
  expect(ok.status).toBe(204);
  expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
  expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
  expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
  expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
});

it('will not start without a token', async () => {
  await expect(startCodecServer({ codec, token: '', origins: [] })).rejects.toThrow(/needs a token/);
});
