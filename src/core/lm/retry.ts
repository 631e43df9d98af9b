/** Exponential backoff for LM calls made outside Temporal (CLI runs, the in-process optimizer). */
import { LMError } from './errors';

export interface RetryOptions {
  /** Attempts after the first one. */
  maxRetries?: number;
  baseDelayMs?: number;
  /** Upper bound for one wait; a server asking for longer gets its error surfaced instead. */
  maxDelayMs?: number;
  /** Injected in tests to observe waits without spending them. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wait before retry number `attempt` (0-based): the server's Retry-After when given, otherwise
 * "equal jitter" — half the exponential step fixed, half random — so concurrent callers spread out
 * without ever retrying immediately.
 */
export function backoffDelay(attempt: number, err: LMError, base: number, max: number, random: () => number): number {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs;
  const step = Math.min(max, base * 2 ** attempt);
  return step / 2 + random() * (step / 2);
}

/** Runs `fn`, retrying only LMErrors marked retryable; anything else is rethrown at once. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { maxRetries = 4, baseDelayMs = 500, maxDelayMs = 20_000, sleep = realSleep, random = Math.random } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof LMError) || !err.retryable || attempt >= maxRetries) throw err;
      const delay = backoffDelay(attempt, err, baseDelayMs, maxDelayMs, random);
      // Waiting less than the server asked only earns another 429; let the caller's scheduler wait.
      if (delay > maxDelayMs) throw err;
      await sleep(delay);
    }
  }
}
