/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 for tests: every LM test drives the real
 * `openai` client against this double instead of mocking the module.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DoubleMessage {
  role: string;
  content: string;
}

export interface DoubleRequest {
  model: string;
  messages: DoubleMessage[];
  temperature?: number;
  /** From `max_tokens` or `max_completion_tokens` (the former wins when both are sent). */
  maxTokens?: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface DoubleUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * A plain string is a successful reply; `{status}` is an HTTP error (or any raw response). Asked for
 * `logprobs`, the double splits the reply into word tokens (leading whitespace attached, as BPE
 * tokenizers do), each certain, except the first token that is a key of `choiceProbs` (a label): there
 * the alternatives are those keys, with their probabilities.
 */
export type DoubleReply =
  | string
  | { text: string; delayMs?: number; usage?: DoubleUsage; choiceProbs?: Readonly<Record<string, number>> }
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

export type DoubleHandler = (req: DoubleRequest, index: number) => DoubleReply | Promise<DoubleReply>;

/** The vector `/v1/embeddings` answers for one text. */
export type DoubleEmbedder = (text: string) => number[];

export interface LMDoubleOptions {
  /** Default: `hashedBagOfWords`. */
  embed?: DoubleEmbedder;
}

export interface LMDouble {
  /** `http://127.0.0.1:PORT/v1`, ready for `OpenAICompatibleLM({baseURL})`. */
  baseURL: string;
  /** Every chat-completion request received, in arrival order. */
  requests: DoubleRequest[];
  /** The texts of every `/v1/embeddings` request, one array per request. */
  embedRequests: string[][];
  /** Chat-completion requests currently being answered. */
  inFlight: number;
  /** Highest `inFlight` seen since start or the last `reset()`. */
  maxInFlight: number;
  setHandler(fn: DoubleHandler): void;
  /** Clears `requests` and `maxInFlight` (the handler stays). */
  reset(): void;
  close(): Promise<void>;
}

const defaultHandler: DoubleHandler = () => 'ok';

/** Rough token count so usage is non-zero and grows with the text. */
function estimateTokens(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words.length;
}

function errorTypeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

function sendError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error: { message, type: errorTypeFor(status), code: String(status) } }, headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The request's JSON object body, or undefined after answering 400. */
async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readBody(req));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body must be a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    sendError(res, 400, `invalid JSON body: ${(err as Error).message}`);
    return undefined;
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  // The multi-part content form: keep only the text parts.
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  }
  return '';
}

function toDoubleRequest(body: Record<string, unknown>, headers: IncomingHttpHeaders): DoubleRequest {
  const rawMessages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const maxTokens = body.max_tokens ?? body.max_completion_tokens;
  return {
    model: String(body.model ?? ''),
    messages: rawMessages.map((m) => ({ role: String(m.role), content: contentText(m.content) })),
    temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    body,
    headers: { ...headers },
  };
}

/** OpenAI's `logprobs` for a reply: `content[i] = {token, logprob, bytes, top_logprobs}`; null unless the request asked. */
function logprobsBody(req: DoubleRequest, text: string, choiceProbs: Readonly<Record<string, number>> = {}): unknown {
  if (req.body.logprobs !== true) return null;
  const top = typeof req.body.top_logprobs === 'number' ? req.body.top_logprobs : 0;
  const entry = (token: string, logprob: number) => ({ token, logprob, bytes: [...Buffer.from(token, 'utf8')] });
  let labelSeen = false;
  const content = (text.match(/\s*\S+|\s+$/g) ?? []).map((token) => {
    const word = token.trim();
    if (labelSeen || !Object.hasOwn(choiceProbs, word)) return { ...entry(token, 0), top_logprobs: [entry(token, 0)].slice(0, top) };
    labelSeen = true;
    const space = token.slice(0, token.length - token.trimStart().length);
    const alternatives = Object.entries(choiceProbs)
      .sort(([, a], [, b]) => b - a)
      .map(([label, p]) => entry(space + label, Math.log(p)));
    return { ...entry(token, Math.log(choiceProbs[word] as number)), top_logprobs: alternatives.slice(0, top) };
  });
  return { content, refusal: null };
}

function completionBody(req: DoubleRequest, text: string, usage: DoubleUsage | undefined, choiceProbs?: Readonly<Record<string, number>>): unknown {
  const promptTokens = usage?.prompt_tokens ?? estimateTokens(req.messages.map((m) => m.content).join(' '));
  const completionTokens = usage?.completion_tokens ?? estimateTokens(text);
  return {
    id: `chatcmpl-double-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: logprobsBody(req, text, choiceProbs) }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

/** Dimensions of `hashedBagOfWords` vectors. */
export const BAG_OF_WORDS_DIMENSIONS = 64;

/**
 * A deterministic stand-in for an embedding model: lower-cased words counted into 64 buckets by a
 * string hash, so texts sharing words point the same way.
 */
export function hashedBagOfWords(text: string): number[] {
  const vector = new Array<number>(BAG_OF_WORDS_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    vector[hash % BAG_OF_WORDS_DIMENSIONS] = (vector[hash % BAG_OF_WORDS_DIMENSIONS] as number) + 1;
  }
  return vector;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startLMDouble(handler: DoubleHandler = defaultHandler, options: LMDoubleOptions = {}): Promise<LMDouble> {
  let current = handler;
  const embed = options.embed ?? hashedBagOfWords;

  const double: LMDouble = {
    baseURL: '',
    requests: [],
    embedRequests: [],
    inFlight: 0,
    maxInFlight: 0,
    setHandler(fn) {
      current = fn;
    },
    reset() {
      double.requests.length = 0;
      double.embedRequests.length = 0;
      double.maxInFlight = double.inFlight;
    },
    close: () => Promise.resolve(),
  };

  /** OpenAI's `/v1/embeddings` with float vectors (what OpenAICompatibleLM asks for). */
  async function answerEmbeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, res);
    if (!body) return;
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || !input.every((t) => typeof t === 'string')) {
      sendError(res, 400, 'input must be a string or an array of strings');
      return;
    }
    if (body.encoding_format !== undefined && body.encoding_format !== 'float') {
      sendError(res, 400, `double: encoding_format ${String(body.encoding_format)} is not supported`);
      return;
    }
    double.embedRequests.push(input);
    const tokens = input.reduce((sum, t) => sum + estimateTokens(t), 0);
    sendJson(res, 200, {
      object: 'list',
      model: String(body.model ?? ''),
      data: input.map((text, index) => ({ object: 'embedding', index, embedding: embed(text) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async function answerCompletion(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, res);
    if (!body) return;
    const request = toDoubleRequest(body, req.headers);
    const index = double.requests.length;
    double.requests.push(request);
    double.inFlight += 1;
    double.maxInFlight = Math.max(double.maxInFlight, double.inFlight);
    try {
      const reply = await current(request, index);
      if (typeof reply === 'string') {
        sendJson(res, 200, completionBody(request, reply, undefined));
        return;
      }
      if (reply.delayMs) await sleep(reply.delayMs);
      if ('status' in reply) {
        if (reply.body === undefined) sendError(res, reply.status, `double: status ${reply.status}`, reply.headers);
        else sendJson(res, reply.status, reply.body, reply.headers);
        return;
      }
      sendJson(res, 200, completionBody(request, reply.text, reply.usage, reply.choiceProbs));
    } catch (err) {
      sendError(res, 500, `double handler threw: ${(err as Error).message}`);
    } finally {
      double.inFlight -= 1;
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      void answerCompletion(req, res);
    } else if (req.method === 'POST' && path === '/v1/embeddings') {
      void answerEmbeddings(req, res);
    } else if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: 'double-model', object: 'model', created: 0, owned_by: 'kkachi-test' }] });
    } else {
      sendError(res, 404, `double: no route ${req.method} ${path}`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  double.baseURL = `http://127.0.0.1:${port}/v1`;
  double.close = () =>
    new Promise<void>((resolve, reject) => {
      // Keep-alive sockets from the openai client would otherwise hold close() open.
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return double;
}
