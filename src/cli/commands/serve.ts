/** `kkachi serve`: the HTTP API for predictions, feedback, task status and metrics (src/serving). */
import { Client, Connection } from '@temporalio/client';
import { createLM } from '../../core/lm/factory';
import { disposeLocalRuntimes } from '../../core/lm/local-runtime';
import { modelsDir } from '../../models/location';
import { DEFAULT_BODY_LIMIT } from '../../serving/app';
import { startServing } from '../../serving/server';
import { openStore, redactUrl, storeLocation } from '../../store';
import { temporalConfig } from '../../temporal/config';
import { tracingFromEnv } from '../../temporal/tracing';
import { integerFlag, stringFlag, UsageError, writeJson, type Command } from '../command';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'silent'];

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Serve every task in the store over HTTP: predict, feedback (to the learner), task status, /metrics.',
  options: {
    host: { type: 'string', value: 'HOST', description: 'address to listen on (default 127.0.0.1)' },
    port: { type: 'string', value: 'PORT', description: 'port (default 8000; 0 picks a free one)' },
    'body-limit': { type: 'string', value: 'BYTES', description: `largest request body; larger ones get 413 (default ${DEFAULT_BODY_LIMIT})` },
    'log-level': { type: 'string', value: 'LEVEL', description: `JSON request logs: ${LOG_LEVELS.join('|')} (default info)` },
    json: { type: 'boolean', description: 'print {"url"} as JSON once listening' },
  },
  details: [
    'Endpoints: POST /v1/tasks/:task/predict, POST /v1/tasks/:task/feedback, POST /v1/tasks/:task/feedback/batch,',
    'GET /v1/tasks, GET /v1/tasks/:task, GET /healthz, GET /readyz, GET /metrics.',
    'Environment: KKACHI_API_TOKEN (then /v1/* needs "Authorization: Bearer <token>"), KKACHI_HOME (the store),',
    'KKACHI_STORE_URL (a shared PostgreSQL store), TEMPORAL_ADDRESS / TEMPORAL_PROFILE …, KKACHI_TASK_QUEUE (where learners run),',
    'KKACHI_ENCRYPTION_KEY (payload encryption, as the workers), OPENAI_API_KEY for openai tasks.',
    'Stops on Ctrl-C, finishing requests under way.',
  ].join('\n'),
  async run({ values }, io) {
    const port = integerFlag(values, 'port', { max: 65_535 }) ?? 8000;
    const bodyLimit = integerFlag(values, 'body-limit', { min: 1_024 }) ?? DEFAULT_BODY_LIMIT;
    const logLevel = stringFlag(values, 'log-level') ?? 'info';
    if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    const config = temporalConfig(io.env);
    // Serving's own connection commits the prediction log without an fsync per batch (see StoreOptions).
    const store = await openStore(storeLocation(io.env), { synchronous: 'normal' });
    // Lazy: predictions need no Temporal, so serving starts (and answers) while Temporal is down.
    const connection = Connection.lazy(config.connection);
    // Feedback sent on to a learner starts a trace there when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    const tracing = tracingFromEnv(io.env, 'kkachi-serve');
    const client = new Client({ connection, namespace: config.namespace, dataConverter: config.dataConverter, plugins: tracing ? [tracing.plugin] : [] });
    try {
      const server = await startServing({
        store,
        temporal: { client, taskQueue: config.taskQueue },
        host: stringFlag(values, 'host') ?? '127.0.0.1',
        port,
        token: io.env.KKACHI_API_TOKEN || undefined,
        bodyLimit,
        logLevel,
        temporalUi: io.env.KKACHI_TEMPORAL_UI || undefined,
        // Tasks on the embedded model find it where `kkachi model fetch` put it.
        lmFor: (lmConfig) => createLM(lmConfig, { cacheDir: null, modelsDir: modelsDir(io.env) }),
      });
      if (values.json) writeJson(io, { url: server.url });
      else io.stderr.write(`kkachi serve: listening on ${server.url} (store ${redactUrl(storeLocation(io.env))}, Temporal ${config.address}); Ctrl-C stops\n`);
      const signal = await (io.interrupted?.() ?? new Promise<string>(() => undefined));
      io.stderr.write(`kkachi serve: ${signal}, finishing requests under way\n`);
      await server.close();
    } finally {
      await connection.close().catch(() => undefined);
      await tracing?.shutdown();
      await store.close();
      await disposeLocalRuntimes();
    }
  },
};
