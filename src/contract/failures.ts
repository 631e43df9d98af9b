/**
 * `ApplicationFailure` types that cross the workflow/activity/client boundary. Code that throws one
 * and code that catches or tests for it both name it through these constants. (Errors of the core
 * library travel under their class name, e.g. `ValidationError`; see activities/failures.ts.)
 */

/** promote's compare-and-set found `active` moved by someone else; the workflow decides what to do. */
export const STALE_ACTIVE_VERSION = 'StaleActiveVersion';
/** A workflow's task spec failed validation (the message names the field). */
export const INVALID_TASK_SPEC = 'InvalidTaskSpec';
/** `optimizationPipeline`'s input failed validation. */
export const INVALID_PIPELINE_INPUT = 'InvalidPipelineInput';
/** A `submitFeedback` payload was refused (non-retryable: the same payload fails again). */
export const INVALID_FEEDBACK = 'InvalidFeedback';
/** A `submitFeedback` arrived while the learner's buffer was over its bound: retry after a short wait. */
export const LEARNER_BUSY = 'LearnerBusy';
/** A store id an activity was given does not exist. */
export const NOT_FOUND = 'NotFound';
/** A file a task spec names does not exist. */
export const FILE_NOT_FOUND = 'FileNotFound';
