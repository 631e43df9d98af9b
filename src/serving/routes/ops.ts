/** `/healthz` (the process answers), `/readyz` (the store answers; Temporal reported), `/metrics` (Prometheus). */
import type { FastifyInstance } from 'fastify';
import type { ServingContext } from '../context';

export function opsRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Predictions need only the store, so an unreachable Temporal does not take a replica out of
  // rotation; it is reported, and feedback answers 503 meanwhile.
  app.get('/readyz', async (_request, reply) => {
    const [store, temporal] = await Promise.all([check(async () => void (await ctx.store.listTasks())), temporalCheck(ctx)]);
    return reply.code(store === 'ok' ? 200 : 503).send({ status: store === 'ok' ? 'ready' : 'not ready', store, temporal });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.render();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}

async function check(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return `failing: ${(err as Error).message.split('\n')[0]}`;
  }
}

async function temporalCheck(ctx: ServingContext): Promise<string> {
  const client = ctx.temporal;
  if (!client) return 'not configured';
  return check(async () => {
    await client.connection.withDeadline(Date.now() + ctx.temporalTimeoutMs, () => client.workflowService.getSystemInfo({}));
  });
}
