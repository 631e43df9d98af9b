/** The workflow types the worker registers (every export here must be a workflow function). */
export { learner } from './learner';
export { optimizationCycle } from './cycle';
export { rollout } from './rollout';
export { optimizationPipeline } from './pipeline';
