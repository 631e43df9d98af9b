/** Telling "Temporal is unreachable right now" or "the learner is busy" (retry later: 503) from every other failure. */
import { CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE } from '../temporal/grpc-status';

/**
 * gRPC codes that say Temporal did not answer a delivery in time: UNAVAILABLE (no server), and
 * DEADLINE_EXCEEDED or CANCELLED when the delivery's deadline cut the call (grpc-js reports some calls
 * cut at the deadline as CANCELLED; nothing else cancels serving's calls). Not RESOURCE_EXHAUSTED nor
 * FAILED_PRECONDITION: the server answered, refusing updates to a busy learner, which
 * `isTransientUpdateFailure` (src/temporal/feedback.ts) tells apart as `LearnerBusy`.
 */
const UNANSWERED = new Set<number>([UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED]);

export class TemporalUnavailable extends Error {
  override name = 'TemporalUnavailable';
}

/** The learner kept refusing feedback as busy (its buffer full, its run closing) for the whole delivery deadline. */
export class LearnerBusy extends Error {
  override name = 'LearnerBusy';
}

/** True when the error (or one of its causes) is a gRPC status that says "try again later". */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TemporalUnavailable) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNANSWERED.has(code)) return true;
  }
  return false;
}
