/**
 * Update validators that refuse bad input for good: whatever the check throws becomes a
 * non-retryable ApplicationFailure (same message, the error's name as its type), so a client is told
 * at once that the same payload will fail again.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { parseOrThrow } from '../core/errors';

/** A validator from a check (a function that throws on bad input) or a zod schema. */
export function refuseUnless(check: z.ZodType | ((raw: unknown) => unknown)): (raw: unknown) => void {
  const run = typeof check === 'function' ? check : (raw: unknown) => parseOrThrow(check, raw);
  return (raw) => {
    try {
      run(raw);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      const error = err as Error;
      throw ApplicationFailure.nonRetryable(error.message, error.name);
    }
  };
}
