/**
 * `GET /v1/tasks` and `GET /v1/tasks/:task`: what serves, what served before, what awaits the gate,
 * the learner's cycles with their gate verdicts, a running cycle's stage and progress, and the
 * live numbers per version.
 */
import type { FastifyInstance } from 'fastify';
import { versionMetrics } from '../../store/monitoring';
import type { ServingContext } from '../context';
import { learnerView } from '../learner-view';
import { UnknownTaskError } from '../tasks';

/** Registry moves shown per task (newest last). */
const HISTORY_SHOWN = 20;

export function taskRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get('/v1/tasks', async () => {
    const names = await ctx.store.listTasks();
    const tasks = await Promise.all(names.map(async (name) => ({ name, activeVersion: (await ctx.store.getPointers(name)).active })));
    return { tasks };
  });

  app.get<{ Params: { task: string } }>('/v1/tasks/:task', async (request) => {
    const name = request.params.task;
    if (!(await ctx.store.listTasks()).includes(name)) throw new UnknownTaskError(name);
    const [pointers, versions, history, metrics, learner] = await Promise.all([
      ctx.store.getPointers(name),
      ctx.store.versions(name),
      ctx.store.registryHistory(name),
      versionMetrics(ctx.store, name),
      learnerView(ctx, name),
    ]);
    return { task: name, ...pointers, versions, history: history.slice(-HISTORY_SHOWN), metrics, ...learner };
  });
}
