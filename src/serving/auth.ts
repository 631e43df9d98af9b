/**
 * Token auth when `KKACHI_API_TOKEN` is set, compared in constant time. `/v1/*` takes
 * `Authorization: Bearer <token>`. The dashboard (`GET /`) shows task data, so it needs the token too:
 * as a bearer header, or as the password of HTTP Basic auth, which a browser asks for itself (no
 * cookie, no session). Health checks and `/metrics` stay open for probes and scrapers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Hashing first makes both sides the same length, so the comparison's time says nothing about the token. */
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** What a browser is asked for on the dashboard: any user name, the token as password. */
const DASHBOARD_CHALLENGE = 'Basic realm="kkachi", charset="UTF-8"';

const bearerToken = (header: string): string | undefined => /^Bearer (.+)$/.exec(header)?.[1];

/** The password of `Authorization: Basic base64(user:password)`. */
function basicPassword(header: string): string | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header)?.[1];
  if (encoded === undefined) return undefined;
  const credentials = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon < 0 ? undefined : credentials.slice(colon + 1);
}

const isDashboard = (url: string): boolean => url === '/' || url.startsWith('/?');

export function tokenAuth(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token);
  const matches = (presented: string | undefined): boolean => presented !== undefined && timingSafeEqual(digest(presented), expected);
  return async (request, reply) => {
    const api = request.url.startsWith('/v1/');
    if (!api && !isDashboard(request.url)) return;
    const header = request.headers.authorization ?? '';
    if (matches(bearerToken(header)) || (!api && matches(basicPassword(header)))) return;
    const wanted = api ? 'Authorization: Bearer <KKACHI_API_TOKEN>' : 'the token (as a bearer token, or as the Basic auth password)';
    await reply
      .code(401)
      .header('www-authenticate', api ? 'Bearer' : DASHBOARD_CHALLENGE)
      .send({ error: { code: 'unauthorized', message: header ? 'the credentials are not valid' : `missing ${wanted}` } });
  };
}
