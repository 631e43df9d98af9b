/**
 * Maps what the core library throws onto Temporal's retry semantics: a failure a retry cannot fix
 * (bad input, bad credentials, a missing file) becomes a non-retryable ApplicationFailure, so the
 * workflow sees it at once instead of after the retry policy runs out; transient ones stay retryable.
 * Every message is redacted, because failures travel in payloads and land in the Web UI and logs.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FILE_NOT_FOUND, NOT_FOUND } from '../contract';
import { redact } from '../core/lm/errors';

/** Caller mistakes: the same input fails the same way on every attempt. */
const PERMANENT = new Set(['ValidationError', 'TaskSpecError', 'SignatureError', 'DatasetError', 'ModelMissingError']);

/** Errors that say for themselves whether a retry may help (LMError, the error-budget errors). */
function declaredRetryable(err: Error): boolean | undefined {
  const flag = (err as { retryable?: unknown }).retryable;
  return typeof flag === 'boolean' ? flag : undefined;
}

export function toActivityFailure(err: unknown, secrets: readonly string[]): Error {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (!(err instanceof Error)) return ApplicationFailure.retryable(redact(String(err), secrets), 'Error');
  const message = redact(err.message, secrets);
  const missingFile = (err as NodeJS.ErrnoException).code === 'ENOENT';
  const retryable = declaredRetryable(err) ?? !(PERMANENT.has(err.name) || missingFile);
  const type = missingFile ? FILE_NOT_FOUND : err.name;
  return retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
}

/** A not-found store id is permanent: the workflow passed an id that does not exist. */
export function notFound(what: string, id: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what} ${id} not found in the store`, NOT_FOUND);
}

/** Wraps every activity so whatever it throws leaves as a classified, redacted failure. */
export function withFailureMapping<T extends object>(activities: T, secrets: () => readonly string[]): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw toActivityFailure(err, secrets());
      }
    };
  }
  return wrapped as T;
}
