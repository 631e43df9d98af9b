/**
 * `POST /v1/tasks/:task/feedback` (one record) and `/feedback/batch` (up to 1,000): 202 once Temporal
 * holds every record. A batch is all or nothing: one bad record refuses the request, naming it.
 */
import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../core/errors';
import type { ServingContext } from '../context';
import { feedbackBatchBodySchema } from '../feedback';

export function feedbackRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.post<{ Params: { task: string } }>('/v1/tasks/:task/feedback', async (request, reply) => {
    const task = await ctx.tasks.get(request.params.task);
    const payload = await ctx.feedback.resolve(task, request.body);
    const { accepted } = await ctx.feedback.submit(task, [payload]);
    const isNew = accepted.length === 1;
    ctx.metrics.observeFeedback(task.name, isNew ? 1 : 0, isNew ? 0 : 1);
    return reply.code(202).send({ predictionId: payload.predictionId, accepted: isNew, duplicate: !isNew });
  });

  app.post<{ Params: { task: string } }>('/v1/tasks/:task/feedback/batch', async (request, reply) => {
    const task = await ctx.tasks.get(request.params.task);
    const { records } = parseOrThrow(feedbackBatchBodySchema, request.body);
    const payloads = [];
    for (const [i, raw] of records.entries()) payloads.push(await ctx.feedback.resolve(task, raw, `records.${i}`));
    const result = await ctx.feedback.submit(task, payloads);
    ctx.metrics.observeFeedback(task.name, result.accepted.length, result.duplicate.length);
    return reply.code(202).send({ accepted: result.accepted.length, duplicate: result.duplicate.length, duplicates: result.duplicate });
  });
}
