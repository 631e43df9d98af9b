/**
 * Kkachi's core library: the DSPy-style pieces without Temporal or the store. Workflows must not
 * import this barrel (it reaches the `openai` provider); they import pure files one by one.
 */
export * from './types';
export { fieldsSchema, fieldValueSchema } from './fields';
export type { ChatMessage, Completion, CompletionOptions, LM, TokenUsage } from './lm/types';
export { parseSignature, SignatureError, type FieldSpec, type Signature } from './signature';
export { ValidationError } from './errors';
export { chatAdapter, completionAdapter, getAdapter, renderOutputs, type Adapter } from './adapters';
export { createProgram, predict, programSpecSchema, type ProgramSpec } from './program';
export { createArtifact, parseArtifact, withEvalReport, type Lineage, type ProgramArtifact } from './artifact';
export { exactMatch, labelAccuracy, metricFromSpec, tokenF1, type Metric, type MetricRegistry, type MetricResult } from './metrics';
export { loadMetricsModule, metricsFromModule } from './metrics-module';
export { evaluate, ErrorBudgetExceeded, type EvalReport, type EvalRow } from './evaluate';
export {
  BootstrapFewShot,
  BootstrapFewShotWithRandomSearch,
  createOptimizer,
  LabeledFewShot,
  type OptimizeResult,
  type Optimizer,
} from './optimizers';
export { classificationSummary, confusionMatrix, type ClassificationSummary, type ConfusionMatrix } from './stats/classification';
export { compareReports, type Comparison } from './stats/compare';
export { resolveMeasure, type Measure, type MeasureSpec } from './stats/measures';
export { decide, DEFAULT_RULE, type Decision, type DecisionRule } from './stats/decision';
export { mcnemarExact } from './stats/mcnemar';
export { createLM, type LMConfig } from './lm/factory';
export { OpenAICompatibleLM } from './lm/openai';
export { CachedLM } from './lm/cache';
export { MeteredLM, UsageMeter, type Usage } from './lm/usage';
export { LMError } from './lm/errors';
