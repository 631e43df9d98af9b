/** `POST /v1/tasks/:task/predict`: one prediction by the version chosen for the request, logged before it is answered. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from '../../core/errors';
import type { Fields } from '../../core/types';
import type { ServingContext } from '../context';

export const predictBodySchema = z.strictObject({
  inputs: z.record(z.string(), z.unknown()),
  /** A caller or user id: requests with the same key see the same version (canary stickiness). */
  key: z.string().min(1).max(200).optional(),
});

export interface PredictResponse {
  predictionId: string;
  versionId: string;
  outputs: Fields;
  latencyMs: number;
}

export function predictRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.post<{ Params: { task: string } }>('/v1/tasks/:task/predict', async (request, reply) => {
    const body = parseOrThrow(predictBodySchema, request.body);
    const task = await ctx.tasks.get(request.params.task);
    const served = await task.predictor.predict(body.inputs as Fields, body.key ? { key: body.key } : {});
    const { prediction } = served;
    // Logged before answering: a client holding a prediction id can always send feedback on it.
    await ctx.predictionLog.add({
      predictionId: served.predictionId,
      task: task.name,
      versionId: served.versionId,
      inputs: body.inputs as Fields,
      outputs: prediction.ok ? prediction.outputs : null,
      error: prediction.ok ? null : `${prediction.error.kind}: ${prediction.error.message}`,
      latencyMs: served.latencyMs,
      createdAt: Date.now(),
    });
    ctx.metrics.observePrediction(task.name, served.versionId, prediction.ok, served.latencyMs);
    if (!prediction.ok) {
      const { kind, message } = prediction.error;
      return reply.code(502).send({
        error: { code: kind === 'lm' ? 'lm_failed' : 'unparseable_reply', message: kind === 'lm' ? `the LM call failed: ${message}` : `the model's reply did not parse: ${message}` },
        predictionId: served.predictionId,
        versionId: served.versionId,
      });
    }
    const response: PredictResponse = { predictionId: served.predictionId, versionId: served.versionId, outputs: prediction.outputs, latencyMs: served.latencyMs };
    return response;
  });
}
