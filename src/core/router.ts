/**
 * Routing (the seed's "domain-specific optimization"): a router program answers each request with
 * the route named by one of its input fields — a program optimized on that domain's examples — and
 * any value without a route with its own prompt. Domains whose best demos differ (a word that means
 * one thing in one and the opposite in another) then stop competing for one prompt.
 */
import type { ProgramSpec, RouteSpec } from './program';
import type { Fields } from './types';

/** The program that answers `inputs`: its route for the router field's value, else the router's own prompt. */
export function routeFor(program: ProgramSpec, inputs: Fields): Omit<ProgramSpec, 'router'> {
  const { router, ...own } = program;
  if (!router) return own;
  const value = inputs[router.field];
  const route = value === undefined ? undefined : router.routes[String(value)];
  return route ? { ...route, signature: program.signature } : own;
}

/** A router over `routes` (programs keyed by the field's value) with `fallback` answering the rest. */
export function routerOf(field: string, fallback: ProgramSpec, routes: Record<string, ProgramSpec>): ProgramSpec {
  const stripped = Object.fromEntries(
    Object.entries(routes).map(([value, route]): [string, RouteSpec] => {
      const { signature, router, ...prompt } = route;
      if (signature !== fallback.signature) throw new Error(`route "${value}" has signature "${signature}", the router "${fallback.signature}"`);
      if (router) throw new Error(`route "${value}" is itself a router; routes are single programs`);
      return [value, prompt];
    }),
  );
  const { router: _previous, ...own } = fallback;
  return { ...own, router: { field, routes: stripped } };
}
