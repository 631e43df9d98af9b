/** `GET /`: the dashboard — every task's versions, accuracy held out and live, and verdicts with their reasons. */
import type { FastifyInstance } from 'fastify';
import type { ServingContext } from '../context';
import { dashboardData } from '../dashboard/data';
import { renderDashboard, type TemporalLinks } from '../dashboard/render';

export function dashboardRoutes(app: FastifyInstance, ctx: ServingContext, links: TemporalLinks): void {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderDashboard(await dashboardData(ctx.store), links)));
}
