/**
 * Canonical JSON and content hashes: the identity of programs, artifacts and cache keys.
 * Two values that mean the same JSON must hash the same, whatever their key order.
 */
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted recursively and no whitespace. Object properties whose value is
 * `undefined` are omitted, exactly as a JSON round trip would drop them, so a value and its stored
 * copy hash alike. Anything JSON cannot represent faithfully (undefined elsewhere, NaN, Infinity,
 * functions, symbols, bigints, class instances such as Date or Map) is rejected with its path.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot represent`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item, i) => encode(item, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: ${path} is a ${value.constructor?.name ?? 'non-plain object'}, not a plain object`);
    }
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v, `${path}.${k}`)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${path} is ${typeof value}, which JSON cannot represent`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** sha256 of the canonical JSON: the content address of any plain-JSON value. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
