/** Telling "Temporal is unreachable right now" or "the learner is busy" (retry later: 503) from every other failure. */

/** gRPC status codes: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const TRANSIENT = new Set<number>([4, 8, 14]);

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
    if (typeof code === 'number' && TRANSIENT.has(code)) return true;
  }
  return false;
}
