/** `GET /`: the dashboard — every task's versions, accuracy held out and live, verdicts with their reasons, and a running cycle's progress. */
import type { FastifyInstance } from 'fastify';
import type { ServingContext } from '../context';
import { dashboardData } from '../dashboard/data';
import { renderDashboard, type TemporalLinks } from '../dashboard/render';
import { learnerView } from '../learner-view';

export function dashboardRoutes(app: FastifyInstance, ctx: ServingContext, links: TemporalLinks): void {
  app.get('/', async (_request, reply) => {
    const views = await dashboardData(ctx.store);
    const withProgress = await Promise.all(views.map(async (view) => ({ ...view, progress: (await learnerView(ctx, view.task)).progress })));
    return reply.type('text/html; charset=utf-8').send(renderDashboard(withProgress, links));
  });
}
