/**
 * One mapping from what went wrong to an HTTP answer `{error: {code, message, field?}}`: the status
 * tells a client whether to fix its request (4xx), retry later (503 + Retry-After) or report a bug.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../core/errors';
import { PredictionNotFoundError } from './feedback';
import { NoActiveVersionError } from './predictor';
import { UnknownTaskError } from './tasks';
import { LearnerBusy, TemporalUnavailable } from './temporal-errors';

/** Seconds a client should wait before retrying while Temporal is unreachable or the learner busy. */
export const RETRY_AFTER_S = 5;

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Refusals that pass: nothing was accepted and the same request may succeed after Retry-After. */
const RETRYABLE: ReadonlyArray<readonly [new (...args: never[]) => Error, string]> = [
  [TemporalUnavailable, 'temporal_unavailable'],
  [LearnerBusy, 'learner_busy'],
];

interface Mapped {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

function mapError(err: unknown): Mapped | null {
  const e = err as Error;
  if (err instanceof ValidationError) return { status: 400, body: { error: { code: 'invalid_request', message: e.message, field: err.field } } };
  if (err instanceof PredictionNotFoundError) return { status: 404, body: { error: { code: 'unknown_prediction', message: e.message, field: err.field } } };
  if (err instanceof UnknownTaskError) return { status: 404, body: { error: { code: 'unknown_task', message: e.message } } };
  if (err instanceof NoActiveVersionError) return { status: 409, body: { error: { code: 'no_active_version', message: e.message } } };
  for (const [retryable, code] of RETRYABLE) {
    if (err instanceof retryable) {
      return { status: 503, body: { error: { code, message: `${e.message}; nothing was accepted, retry later` } }, headers: { 'retry-after': String(RETRY_AFTER_S) } };
    }
  }
  // Fastify's own errors (body too large, bad JSON, wrong content type) carry their status.
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: (err as FastifyError).code ?? 'bad_request', message: e.message } } };
  }
  return null;
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(err);
  if (mapped) {
    if (mapped.status >= 500) request.log.warn({ code: mapped.body.error.code }, mapped.body.error.message);
    void reply.code(mapped.status).headers(mapped.headers ?? {}).send(mapped.body);
    return;
  }
  request.log.error({ err }, 'request failed');
  void reply.code(500).send({ error: { code: 'internal', message: 'internal error (see the server log)' } } satisfies ErrorBody);
}
