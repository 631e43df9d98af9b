/**
 * Payload encryption: a Temporal PayloadCodec that seals every payload (workflow inputs, signals,
 * activity arguments and results, …) with AES-256-GCM before it leaves the process, so feedback text
 * never sits in a Temporal history in clear. The key id travels in the payload's metadata; older keys
 * still decrypt what they sealed, so keys rotate without breaking running workflows or replay.
 *
 *   KKACHI_ENCRYPTION_KEY       32 random bytes, base64 or hex (`openssl rand -base64 32`)
 *   KKACHI_ENCRYPTION_KEY_ID    its id (default: a fingerprint of the key)
 *   KKACHI_ENCRYPTION_OLD_KEYS  keys that only decrypt: `id=key,id=key` (or bare keys, fingerprint ids)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface EncryptionKeys {
  /** Seals new payloads. */
  current: EncryptionKey;
  /** Open payloads sealed before a rotation. */
  older: EncryptionKey[];
}

/** A wrong, missing or corrupt key: the message names the key id and the variables to check. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The fingerprint used as a key's id when none is given: not the key, not reversible to it. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function parseKey(text: string, variable: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error(`${variable}: expected a 32-byte key as base64 or hex (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`);
  return key;
}

/** The keys from the environment, or null when KKACHI_ENCRYPTION_KEY is unset (no encryption). */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionKeys | null {
  const older = (env.KKACHI_ENCRYPTION_OLD_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      // base64 may end in '=', so an id is only what precedes an '=' that is not at the end.
      const hasId = eq > 0 && eq < entry.length - 1 && !/^=+$/.test(entry.slice(eq));
      const key = parseKey(hasId ? entry.slice(eq + 1) : entry, 'KKACHI_ENCRYPTION_OLD_KEYS');
      return { id: hasId ? entry.slice(0, eq) : keyFingerprint(key), key };
    });
  if (!env.KKACHI_ENCRYPTION_KEY) {
    if (older.length > 0 || env.KKACHI_ENCRYPTION_KEY_ID) throw new Error('KKACHI_ENCRYPTION_OLD_KEYS / KKACHI_ENCRYPTION_KEY_ID need KKACHI_ENCRYPTION_KEY');
    return null;
  }
  const key = parseKey(env.KKACHI_ENCRYPTION_KEY, 'KKACHI_ENCRYPTION_KEY');
  return { current: { id: env.KKACHI_ENCRYPTION_KEY_ID || keyFingerprint(key), key }, older };
}

/**
 * Seals with the current key; opens with whichever key the payload names. Payloads that are not
 * encrypted pass through decode unchanged (histories written before encryption was turned on).
 * Without keys it encrypts nothing, and an encrypted payload fails to decode with a clear message.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: EncryptionKeys | null) {
    this.byId = new Map(keys ? [keys.current, ...keys.older].map((k) => [k.id, k.key]) : []);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.keys?.current;
    if (!current) return payloads;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      // The key id is authenticated too: relabelling a payload with another id makes it fail to open.
      cipher.setAAD(Buffer.from(current.id));
      const sealed = Buffer.concat([cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final()]);
      return {
        metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_KEY]: encoder.encode(current.id) },
        data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_KEY];
      const id = idBytes ? decoder.decode(idBytes) : '';
      const key = this.byId.get(id);
      if (!key) {
        const have = this.keys ? `this process has ${[...this.byId.keys()].map((k) => `"${k}"`).join(', ')}` : 'this process has no key';
        throw new PayloadDecryptionError(
          `cannot decrypt a payload sealed with key "${id}": ${have}; set KKACHI_ENCRYPTION_KEY (and KKACHI_ENCRYPTION_OLD_KEYS for rotated keys)`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new PayloadDecryptionError(`cannot decrypt a payload sealed with key "${id}": authentication failed (a different key under that id, or the payload was altered)`);
      }
    });
  }
}

/** The module a workflow bundle built by hand (`bundleWorkflowCode`) needs as its `failureConverterPath`. */
export const SEALED_FAILURES_PATH = require.resolve('./failure-converter');

/**
 * The data converter of every worker and client: with keys, payloads are sealed and so are failures'
 * messages and stack traces (./failure-converter.ts); without, both pass in clear.
 */
export function encryptingDataConverter(keys: EncryptionKeys | null): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)], ...(keys ? { failureConverterPath: SEALED_FAILURES_PATH } : {}) };
}
