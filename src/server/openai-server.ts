/**
 * An OpenAI-compatible HTTP endpoint for any Kkachi LM (typically the embedded local model), so DSPy,
 * the `openai` client or curl can use it: `POST /v1/chat/completions` (non-streaming),
 * `POST /v1/embeddings` (float vectors, when the LM can embed) and `GET /v1/models`. Loopback only: it has no authentication.
 * `logprobs: true` (with `top_logprobs` ≤ 20) returns OpenAI's `logprobs.content` for the reply up to
 * its first visible token, where a label answer starts (OpenAICompatibleLM reads label probabilities
 * there for calibration); the embedded model reads no further because the distribution costs it
 * ~5x a token (src/core/lm/local.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { describeZodError } from '../core/errors';
import { MAX_TOP_LOGPROBS } from '../core/lm/label-logprobs';
import type { ChatMessage, CompletionOptions, GeneratedTokenLogProb, LM, TokenLogProb } from '../core/lm/types';

export interface OpenAIServerOptions {
  lm: LM;
  /** 0 picks a free port. */
  port?: number;
  /** A loopback address; anything else is refused. */
  host?: string;
  /** The model id clients send and `GET /v1/models` lists (default: the LM's id). */
  modelName?: string;
}

export interface OpenAIServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `url` + `/v1`, the `baseURL` for OpenAI clients. */
  baseURL: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_TOKENS = 256;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const messageSchema = z.object({
  // `developer` is the newer name OpenAI clients use for `system`.
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart)]),
});
const tokenLimit = z.number().int().positive().nullish();

export const chatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    // DSPy sends `max_completion_tokens` (the current name); older clients `max_tokens`.
    max_tokens: tokenLimit,
    max_completion_tokens: tokenLimit,
    temperature: z.number().min(0).max(2).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1).nullish(),
    stream: z.literal(false, { message: 'streaming is not supported' }).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).nullish(),
  })
  // As OpenAI: alternatives come with the chosen tokens' own log-probabilities or not at all.
  .refine((r) => r.top_logprobs == null || r.logprobs === true, { path: ['top_logprobs'], message: 'needs logprobs: true' });
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  encoding_format: z.literal('float', { message: 'only float embeddings are served' }).nullish(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export async function startOpenAIServer(options: OpenAIServerOptions): Promise<OpenAIServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`The OpenAI-compatible server binds loopback only (got host ${host})`);
  const modelName = options.modelName ?? options.lm.id;
  const server = createServer((req, res) => {
    route(req, options.lm, modelName)
      .then((body) => send(res, 200, body))
      .catch((err: unknown) => {
        const http = err instanceof HttpError ? err : new HttpError(500, err instanceof Error ? err.message : String(err), null, 'server_error');
        send(res, http.status, { error: { message: http.message, type: http.type, param: http.param, code: null } });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function route(req: IncomingMessage, lm: LM, modelName: string): Promise<unknown> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  if (path === '/v1/models' || path === `/v1/models/${modelName}`) {
    if (req.method !== 'GET') throw new HttpError(405, `Use GET for ${path}`);
    const model = { id: modelName, object: 'model', created: 0, owned_by: 'kkachi' };
    return path === '/v1/models' ? { object: 'list', data: [model] } : model;
  }
  if (path === '/v1/chat/completions') {
    if (req.method !== 'POST') throw new HttpError(405, `Use POST for ${path}`);
    return chatCompletion(parseRequest(chatCompletionRequestSchema, await readJson(req)), lm, modelName);
  }
  if (path === '/v1/embeddings') {
    if (req.method !== 'POST') throw new HttpError(405, `Use POST for ${path}`);
    return embeddings(parseRequest(embeddingRequestSchema, await readJson(req)), lm, modelName);
  }
  throw new HttpError(404, `Unknown endpoint ${req.method} ${path}`, null, 'not_found_error');
}

function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { field, message } = describeZodError(result.error, body);
  throw new HttpError(400, message, field);
}

async function chatCompletion(request: ChatCompletionRequest, lm: LM, modelName: string): Promise<unknown> {
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_TOKENS;
  const temperature = request.temperature ?? 0;
  const options: CompletionOptions = { maxTokens, temperature };
  if (request.stop) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  // A seed makes a sampled reply reproducible; without one each sampled request is a fresh draw.
  if (temperature > 0) options.rolloutId = request.seed != null ? `seed:${request.seed}` : randomUUID();
  if (request.logprobs) options.topLogProbs = request.top_logprobs ?? 0;
  const messages: ChatMessage[] = request.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
  }));
  let completion;
  try {
    completion = await lm.complete(messages, options);
  } catch (err) {
    const kind = (err as { kind?: unknown }).kind;
    const message = err instanceof Error ? err.message : String(err);
    throw kind === 'bad_request' ? new HttpError(400, message, 'messages') : new HttpError(500, message, null, 'server_error');
  }
  const { promptTokens, completionTokens } = completion.usage;
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: modelName,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completion.text, refusal: null },
        logprobs: request.logprobs ? { content: (completion.tokenLogProbs ?? []).map(logprobContent), refusal: null } : null,
        finish_reason: completionTokens >= maxTokens ? 'length' : 'stop',
      },
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

/** OpenAI's shape of one token's log-probability; `bytes` are the UTF-8 of the token's text. */
function logprobEntry({ token, logProb }: TokenLogProb) {
  return { token, logprob: logProb, bytes: [...Buffer.from(token, 'utf8')] };
}

function logprobContent(generated: GeneratedTokenLogProb) {
  return { ...logprobEntry(generated), top_logprobs: generated.top.map(logprobEntry) };
}

async function embeddings(request: z.infer<typeof embeddingRequestSchema>, lm: LM, modelName: string): Promise<unknown> {
  if (!lm.embed) throw new HttpError(404, `${lm.id} cannot embed`, null, 'not_found_error');
  const input = typeof request.input === 'string' ? [request.input] : request.input;
  let vectors;
  try {
    vectors = await lm.embed(input);
  } catch (err) {
    throw new HttpError(500, err instanceof Error ? err.message : String(err), null, 'server_error');
  }
  return {
    object: 'list',
    model: modelName,
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    // Token counts are not reported by the embedding context; 0 says "not measured", not "free".
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'Request body is not valid JSON'));
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
