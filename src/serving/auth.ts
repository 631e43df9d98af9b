/** Bearer-token auth for `/v1/*` when `KKACHI_API_TOKEN` is set; compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Hashing first makes both sides the same length, so the comparison's time says nothing about the token. */
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function bearerAuth(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token);
  return async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (match && timingSafeEqual(digest(match[1] as string), expected)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: { code: 'unauthorized', message: header ? 'the bearer token is not valid' : 'missing Authorization: Bearer <KKACHI_API_TOKEN>' } });
  };
}
