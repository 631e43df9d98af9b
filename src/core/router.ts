/**
 * Routing (the seed's "domain-specific optimization"): a router program answers each request with a
 * route — a program optimized on one domain's examples — and everything else with its own prompt, the
 * declared fallback. The route is the one named by a request field's value; for a value without a
 * route (or a router without a field), the one a small classifier program names from the request.
 * Domains whose best demos differ (a word that means one thing in one and the opposite in another)
 * then stop competing for one prompt.
 */
import type { ClassifierSpec, ProgramSpec, RouteSpec } from './program';
import { parseSignature } from './signature';
import type { Fields, Prediction } from './types';

type Routed = Omit<ProgramSpec, 'router'>;

/** Runs a router's classifier on the request's inputs (program.ts passes `predict`). */
export type Classify = (classifier: ClassifierSpec, inputs: Fields) => Promise<Prediction>;

export interface Route {
  program: Routed;
  /**
   * The inputs the route answers: the request's, with the field set to the classifier's domain when
   * the classifier chose the route (the route was compiled on examples that carry their domain there).
   */
  inputs: Fields;
  /** The classifier's prediction when it was asked: its LM work is part of the request's. */
  classification?: Prediction;
}

/** The program that answers `inputs`: the field's route, else the classifier's, else the router's own prompt. */
export async function routeFor(program: ProgramSpec, inputs: Fields, classify: Classify): Promise<Route> {
  const { router, ...own } = program;
  if (!router) return { program: own, inputs };
  const asRouted = (route: RouteSpec | undefined) => (route ? { ...route, signature: program.signature } : undefined);
  const byField = router.field === undefined || inputs[router.field] === undefined ? undefined : asRouted(router.routes[String(inputs[router.field])]);
  if (byField || !router.classifier) return { program: byField ?? own, inputs };
  const { classifier } = router;
  const classifierInputs = Object.fromEntries(parseSignature(classifier.signature).inputs.map((f) => [f.name, inputs[f.name]])) as Fields;
  const classification = await classify(classifier, classifierInputs);
  const name = classification.ok ? Object.values(classification.outputs)[0] : undefined;
  const byClassifier = name === undefined ? undefined : asRouted(router.routes[String(name)]);
  if (!byClassifier) return { program: own, inputs, classification };
  return { program: byClassifier, inputs: router.field === undefined ? inputs : { ...inputs, [router.field]: String(name) }, classification };
}

/** Routes checked against the router's signature, without their own (they share the router's). */
function stripRoutes(fallback: ProgramSpec, routes: Record<string, ProgramSpec>): Record<string, RouteSpec> {
  return Object.fromEntries(
    Object.entries(routes).map(([value, route]): [string, RouteSpec] => {
      const { signature, router, ...prompt } = route;
      if (signature !== fallback.signature) throw new Error(`route "${value}" has signature "${signature}", the router "${fallback.signature}"`);
      if (router) throw new Error(`route "${value}" is itself a router; routes are single programs`);
      return [value, prompt];
    }),
  );
}

/**
 * A router over `routes` (programs keyed by the domain's name) with `fallback` answering the rest: by
 * the request's `field` when given, and by `classifier` (its sole output names the domain) when given
 * for requests the field does not route.
 */
export function routerOf(by: { field?: string; classifier?: ClassifierSpec }, fallback: ProgramSpec, routes: Record<string, ProgramSpec>): ProgramSpec {
  if (by.field === undefined && by.classifier === undefined) throw new Error('a router needs a field, a classifier or both');
  const { router: _previous, ...own } = fallback;
  return { ...own, router: { ...by, routes: stripRoutes(fallback, routes) } };
}
