/** The payload codec on its own: sealing, key ids, rotation, and clear failures. */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, EncryptionCodec, encryptionKeysFromEnv, keyFingerprint, KEY_ID_KEY, type EncryptionKeys } from '../../src/temporal/encryption';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const key = () => randomBytes(32);
const keys = (id: string, k: Buffer, older: EncryptionKeys['older'] = []): EncryptionKeys => ({ current: { id, key: k }, older });
const SECRET = { feedback: 'the checkout page hides the total price' };
const plain = (): Payload => defaultPayloadConverter.toPayload(SECRET) as Payload;

it('seals a payload: ciphertext only, the key id in the metadata, and opens it back exactly', async () => {
  const codec = new EncryptionCodec(keys('k1', key()));
  const [sealed] = await codec.encode([plain()]);
  expect(text(sealed?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(sealed?.metadata?.[KEY_ID_KEY])).toBe('k1');
  expect(Buffer.from(sealed?.data ?? []).includes(Buffer.from('checkout'))).toBe(false);
  const [opened] = await codec.decode([sealed as Payload]);
  expect(defaultPayloadConverter.fromPayload(opened as Payload)).toEqual(SECRET);
  // A fresh IV each time: equal payloads do not give equal ciphertexts.
  const [again] = await codec.encode([plain()]);
  expect(Buffer.from(again?.data ?? []).equals(Buffer.from(sealed?.data ?? []))).toBe(false);
});

it('after a rotation, the old key still opens what it sealed and new payloads use the new key', async () => {
  const [oldKey, newKey] = [key(), key()];
  const [sealedOld] = await new EncryptionCodec(keys('2025', oldKey)).encode([plain()]);
  const rotated = new EncryptionCodec(keys('2026', newKey, [{ id: '2025', key: oldKey }]));
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealedOld as Payload]))[0] as Payload)).toEqual(SECRET);
  expect(text((await rotated.encode([plain()]))[0]?.metadata?.[KEY_ID_KEY])).toBe('2026');
});

it('a missing key, a different key under the same id, or an altered payload fails with a message saying which', async () => {
  const [sealed] = await new EncryptionCodec(keys('k1', key())).encode([plain()]);
  await expect(new EncryptionCodec(keys('k2', key())).decode([sealed as Payload])).rejects.toThrow(/sealed with key "k1": this process has "k2"; set KKACHI_ENCRYPTION_KEY/);
  await expect(new EncryptionCodec(null).decode([sealed as Payload])).rejects.toThrow(/sealed with key "k1": this process has no key/);
  await expect(new EncryptionCodec(keys('k1', key())).decode([sealed as Payload])).rejects.toThrow(/key "k1": authentication failed/);
  const k = key();
  const [mine] = await new EncryptionCodec(keys('k1', k)).encode([plain()]);
  const altered = Buffer.from(mine?.data ?? []);
  altered[20] = (altered[20] as number) ^ 1;
  await expect(new EncryptionCodec(keys('k1', k)).decode([{ ...mine, data: altered }])).rejects.toThrow(/authentication failed/);
});

it('passes payloads that are not encrypted through (histories from before encryption was on)', async () => {
  const p = plain();
  expect(await new EncryptionCodec(keys('k1', key())).decode([p])).toEqual([p]);
  expect(await new EncryptionCodec(null).encode([p])).toEqual([p]);
});

describe('keys from the environment', () => {
  const b64 = key().toString('base64');
  const hex = key().toString('hex');

  it('reads base64 or hex, an explicit id or the fingerprint, and older keys with or without ids', () => {
    expect(encryptionKeysFromEnv({})).toBeNull();
    const fromHex = encryptionKeysFromEnv({ KKACHI_ENCRYPTION_KEY: hex });
    expect(fromHex?.current).toEqual({ id: keyFingerprint(Buffer.from(hex, 'hex')), key: Buffer.from(hex, 'hex') });
    const rotated = encryptionKeysFromEnv({ KKACHI_ENCRYPTION_KEY: b64, KKACHI_ENCRYPTION_KEY_ID: 'v2', KKACHI_ENCRYPTION_OLD_KEYS: `v1=${hex}, ${b64}` });
    expect(rotated?.current.id).toBe('v2');
    expect(rotated?.older.map((k) => k.id)).toEqual(['v1', keyFingerprint(Buffer.from(b64, 'base64'))]);
  });

  it('names the variable when a key is malformed or an older key comes without a current one', () => {
    expect(() => encryptionKeysFromEnv({ KKACHI_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/KKACHI_ENCRYPTION_KEY: expected a 32-byte key .* got 5 bytes/);
    expect(() => encryptionKeysFromEnv({ KKACHI_ENCRYPTION_KEY: b64, KKACHI_ENCRYPTION_OLD_KEYS: 'old=abc' })).toThrow(/KKACHI_ENCRYPTION_OLD_KEYS: expected a 32-byte key/);
    expect(() => encryptionKeysFromEnv({ KKACHI_ENCRYPTION_OLD_KEYS: b64 })).toThrow(/need KKACHI_ENCRYPTION_KEY/);
  });
});
