/**
 * Kkachi's contract: every name and payload shared by workflows, activities, the CLI, the demo,
 * scripts and tests, defined once. Pure (zod, Temporal's define* helpers and pure core files), so
 * workflows import it inside the sandbox and clients import it without loading workflow code.
 */
export * from './ids';
export * from './search-attributes';
export * from './failures';
export * from './activities';
export * from './feedback';
export * from './rollout';
export * from './learner';
export * from './pipeline';
