/**
 * The HTTP app of `kkachi serve` (fastify): routes over a ServingContext. Add a route group by
 * writing `xRoutes(app, ctx)` under ./routes and registering it here.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { tokenAuth } from './auth';
import type { ServingContext } from './context';
import { errorHandler } from './errors';
import { dashboardRoutes } from './routes/dashboard';
import { feedbackRoutes } from './routes/feedback';
import { opsRoutes } from './routes/ops';
import { predictRoutes } from './routes/predict';
import { taskRoutes } from './routes/tasks';

export interface AppOptions {
  /** With a token, `/v1/*` and the dashboard need it (see `tokenAuth`). */
  token?: string;
  /** Largest request body in bytes; larger ones are answered 413. */
  bodyLimit: number;
  /** Structured (JSON) request logs at this level, or false for none. Bodies and headers are never logged. */
  logLevel: string | false;
  /** Temporal Web UI base the dashboard links runs to (`KKACHI_TEMPORAL_UI`, default http://127.0.0.1:8233). */
  temporalUi?: string;
}

/** 2 MiB: a full feedback batch of typical records fits. */
export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

export function createApp(ctx: ServingContext, options: AppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    // Fastify's request serializer logs method, url and addresses only; redact in case a header slips in.
    logger: options.logLevel === false ? false : { level: options.logLevel, redact: ['req.headers.authorization'] },
    // Many keep-alive clients hit one server in tests and benchmarks.
    keepAliveTimeout: 30_000,
  });
  if (options.token) app.addHook('onRequest', tokenAuth(options.token));
  app.setErrorHandler(errorHandler);
  opsRoutes(app, ctx);
  taskRoutes(app, ctx);
  predictRoutes(app, ctx);
  feedbackRoutes(app, ctx);
  dashboardRoutes(app, ctx, { ui: options.temporalUi ?? 'http://127.0.0.1:8233', namespace: ctx.temporal?.options.namespace ?? 'default' });
  return app;
}
