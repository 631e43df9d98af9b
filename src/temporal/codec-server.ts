/**
 * A codec server: the Temporal Web UI and CLI (`temporal … --codec-endpoint URL --codec-auth 'Bearer T'`)
 * POST payloads to `/decode` (and `/encode`) and show what comes back, so an operator sees feedback in
 * clear while the history in the server holds only ciphertext. It decrypts anything sent to it, so
 * every request needs the token: `Authorization: Bearer <token>`, or the endpoint URL
 * `http://host:port/t/<token>` for the Web UI (which cannot add a header of its own). Browsers get CORS
 * answers for the configured UI origins only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  /** Origins allowed to call from a browser, e.g. the Web UI's `http://localhost:8233`. */
  origins: readonly string[];
  host?: string;
  port?: number;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

/** A payload in the proto3 JSON form the UI and CLI send: metadata values and data in base64. */
interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : {},
    data: data ? Buffer.from(data, 'base64') : undefined,
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])) : {},
    data: data ? Buffer.from(data).toString('base64') : undefined,
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The action (`encode` / `decode`) a request asks for, if its token is right; null when not. */
function authorise(req: IncomingMessage, token: string): { action: string } | null {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const prefixed = /^\/t\/([^/]+)\/(encode|decode)$/.exec(path);
  if (prefixed) return sameToken(decodeURIComponent(prefixed[1] as string), token) ? { action: prefixed[2] as string } : null;
  const plain = /^\/(encode|decode)$/.exec(path);
  const header = req.headers.authorization ?? '';
  return plain && sameToken(header.replace(/^Bearer\s+/i, ''), token) ? { action: plain[1] as string } : null;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  if (!options.token) throw new Error('the codec server needs a token (KKACHI_CODEC_TOKEN): it decrypts whatever is sent to it');
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin && options.origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const allowed = authorise(req, options.token);
    if (!allowed) return send(res, 401, { error: 'missing or wrong token' });
    if (req.method !== 'POST') return send(res, 405, { error: 'POST only' });
    let payloads: Payload[];
    try {
      const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] } | null;
      // proto3 JSON leaves an empty list out: `{}` is zero payloads.
      const list = body?.payloads ?? [];
      if (!Array.isArray(list)) throw new Error('expected {"payloads": [...]}');
      payloads = list.map(fromJson);
    } catch (err) {
      return send(res, 400, { error: `bad request: ${(err as Error).message}` });
    }
    try {
      const out = allowed.action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      send(res, 200, { payloads: out.map(toJson) });
    } catch (err) {
      send(res, 422, { error: (err as Error).message });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as { address: string; port: number };
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
