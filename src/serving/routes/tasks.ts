/**
 * `GET /v1/tasks` and `GET /v1/tasks/:task`: what serves, what served before, what awaits the gate,
 * the learner's cycles with their gate verdicts, and the live numbers per version.
 */
import type { FastifyInstance } from 'fastify';
import { learnerWorkflowId, statusQuery, type LearnerStatus } from '../../contract';
import type { ServingContext } from '../context';
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
      ctx.store.servingStats(name),
      learnerStatus(ctx, name),
    ]);
    return { task: name, ...pointers, versions, history: history.slice(-HISTORY_SHOWN), metrics, ...learner };
  });
}

/** The learner's `status` query (cycles and gate verdicts), or why it is not available. */
async function learnerStatus(ctx: ServingContext, task: string): Promise<{ learner: LearnerStatus | null; learnerError?: string }> {
  const client = ctx.temporal;
  if (!client) return { learner: null, learnerError: 'serving runs without Temporal' };
  try {
    const status = await client.connection.withDeadline(Date.now() + ctx.temporalTimeoutMs, () => client.workflow.getHandle(learnerWorkflowId(task)).query(statusQuery));
    return { learner: status };
  } catch (err) {
    return { learner: null, learnerError: (err as Error).message.split('\n')[0] as string };
  }
}
