/**
 * A loopback proxy in front of `kkachi model serve` that counts every system's work the same way:
 * a client talks to `http://127.0.0.1:PORT/<meter>/v1`, the proxy forwards to the model server's
 * `/v1` and adds the call, its tokens (from the reply's `usage`) and the request's option fields to
 * that meter. One meter per task × system × phase, so no peer's own accounting is trusted.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Meter {
  calls: number;
  /** Replies that were not 200 (refused requests still cost the client a round trip). */
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** `max_completion_tokens=64 stream=false` → count: what each client actually sent. */
  shapes: Record<string, number>;
}

export const emptyMeter = (): Meter => ({ calls: 0, failed: 0, promptTokens: 0, completionTokens: 0, shapes: {} });

/** The fields of a request body besides the model and the messages, in a stable order. */
function requestShape(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return Object.keys(json)
      .filter((key) => key !== 'model' && key !== 'messages')
      .sort()
      .map((key) => `${key}=${JSON.stringify(json[key])}`)
      .join(' ');
  } catch {
    return '(not JSON)';
  }
}

function usageOf(body: Buffer): { prompt: number; completion: number } {
  try {
    const usage = (JSON.parse(body.toString('utf8')) as { usage?: { prompt_tokens?: number; completion_tokens?: number } }).usage;
    return { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0 };
  } catch {
    return { prompt: 0, completion: 0 };
  }
}

export interface MeteringProxy {
  /** `http://127.0.0.1:PORT/<meter>/v1`, the base URL a client uses for that meter. */
  baseURL(meter: string): string;
  meters: Map<string, Meter>;
  close(): Promise<void>;
}

/** `targetBaseURL` is the model server's `…/v1`. */
export async function startMeteringProxy(targetBaseURL: string): Promise<MeteringProxy> {
  const meters = new Map<string, Meter>();
  const meterOf = (name: string): Meter => {
    let meter = meters.get(name);
    if (!meter) meters.set(name, (meter = emptyMeter()));
    return meter;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const match = /^\/([^/]+)\/v1(\/.*)?$/.exec(req.url ?? '');
      if (!match) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`expected /<meter>/v1/…, got ${req.url}`);
        return;
      }
      const meter = meterOf(decodeURIComponent(match[1] as string));
      if (req.method === 'POST') {
        const shape = requestShape(body);
        meter.shapes[shape] = (meter.shapes[shape] ?? 0) + 1;
      }
      const upstream = request(`${targetBaseURL}${match[2] ?? ''}`, { method: req.method, headers: { 'content-type': 'application/json' } }, (reply) => {
        const replyChunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => replyChunks.push(chunk));
        reply.on('end', () => {
          const replyBody = Buffer.concat(replyChunks);
          if (req.method === 'POST') {
            meter.calls += 1;
            if (reply.statusCode !== 200) meter.failed += 1;
            const usage = usageOf(replyBody);
            meter.promptTokens += usage.prompt;
            meter.completionTokens += usage.completion;
          }
          res.writeHead(reply.statusCode ?? 502, { 'content-type': reply.headers['content-type'] ?? 'application/json' });
          res.end(replyBody);
        });
      });
      upstream.on('error', (err) => {
        meter.failed += 1;
        res.writeHead(502, { 'content-type': 'text/plain' }).end(err.message);
      });
      upstream.end(body);
    });
  });
  // Peers keep connections alive between calls; a phase may wait minutes for the model.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: (meter) => `http://127.0.0.1:${port}/${encodeURIComponent(meter)}/v1`,
    meters,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
