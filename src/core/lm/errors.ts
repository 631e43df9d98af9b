/**
 * One error type for every LM provider failure, classified once so callers (our backoff, Temporal's
 * retry policy) decide on `retryable` alone.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

export type LMErrorKind =
  | 'rate_limit'
  | 'server'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'auth'
  | 'forbidden'
  | 'not_found'
  | 'unknown';

export interface LMErrorInit {
  kind: LMErrorKind;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
}

export class LMError extends Error {
  readonly kind: LMErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  /** How long the server asked us to wait before the next attempt. */
  readonly retryAfterMs?: number;

  constructor(message: string, init: LMErrorInit) {
    super(message);
    this.name = 'LMError';
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 409 is a transient lock conflict on OpenAI's side, so it is retried like a server error. */
function kindForStatus(status: number): { kind: LMErrorKind; retryable: boolean } {
  if (status === 429) return { kind: 'rate_limit', retryable: true };
  if (status === 408) return { kind: 'timeout', retryable: true };
  if (status === 409 || status >= 500) return { kind: 'server', retryable: true };
  if (status === 401) return { kind: 'auth', retryable: false };
  if (status === 403) return { kind: 'forbidden', retryable: false };
  if (status === 404) return { kind: 'not_found', retryable: false };
  if (status >= 400) return { kind: 'bad_request', retryable: false };
  return { kind: 'unknown', retryable: false };
}

type HeaderSource = Headers | Record<string, unknown> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, unknown>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' ? value : undefined;
}

/** `retry-after-ms` (OpenAI's precise form) wins over `Retry-After` (delta-seconds or an HTTP date). */
export function parseRetryAfter(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Number(ms);
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Node/undici error codes that mean the request never got an answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

const SECRET_PATTERN = /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g;

/** Strips anything key-shaped, plus the caller's known secrets, from a message. */
export function redact(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out.replace(SECRET_PATTERN, '$1-***');
}

/**
 * Maps anything a provider throws to an LMError. `secrets` (e.g. the API key) are removed from the
 * message so it can go into logs and Temporal payloads.
 */
export function classifyLMError(err: unknown, secrets: readonly string[] = []): LMError {
  if (err instanceof LMError) return err;
  const message = redact(err instanceof Error ? err.message : String(err), secrets);

  // Order matters: the timeout and connection errors are APIError subclasses without a status.
  if (err instanceof APIConnectionTimeoutError) return new LMError(message, { kind: 'timeout', retryable: true });
  if (err instanceof APIUserAbortError) return new LMError(message, { kind: 'unknown', retryable: false });
  if (err instanceof APIConnectionError) {
    const timedOut = TIMEOUT_CODES.has(errorCode(err.cause) ?? '');
    return new LMError(message, { kind: timedOut ? 'timeout' : 'network', retryable: true });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    return new LMError(message, { ...kindForStatus(err.status), status: err.status, retryAfterMs: parseRetryAfter(err.headers) });
  }

  // Generic errors: anything carrying an HTTP status, Node socket errors, abort timeouts.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number') {
    const headers = (err as { headers?: HeaderSource }).headers;
    return new LMError(message, { ...kindForStatus(status), status, retryAfterMs: parseRetryAfter(headers) });
  }
  const code = errorCode(err) ?? '';
  if (TIMEOUT_CODES.has(code) || (err instanceof Error && err.name === 'TimeoutError')) {
    return new LMError(message, { kind: 'timeout', retryable: true });
  }
  if (NETWORK_CODES.has(code)) return new LMError(message, { kind: 'network', retryable: true });
  return new LMError(message, { kind: 'unknown', retryable: false });
}
