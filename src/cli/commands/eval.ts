/**
 * `kkachi eval`: runs a program artifact over a JSONL set — or over a task spec's own data reference
 * (`--spec FILE --split holdout`: exactly the rows the gate scores) — with core `evaluate`, and prints
 * the report with the numbers that fit the task (per-label scores and a confusion matrix for labels,
 * token F1 and exact match for answers).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArtifact } from '../../core/artifact';
import { loadDataset } from '../../core/datasets';
import { evaluate, type EvalReport } from '../../core/evaluate';
import { disposeLocalRuntimes } from '../../core/lm/local-runtime';
import { createLM, type LMConfig } from '../../core/lm/factory';
import type { Usage } from '../../core/lm/usage';
import { BUILT_IN_METRICS, metricFromSpec, metricSpecSchema, type MetricSpec } from '../../core/metrics';
import { metricsFromEnv } from '../../activities/deps';
import { createProgram, type ProgramSpec } from '../../core/program';
import { summarizeForTask } from '../../core/report-summary';
import { modelsDir } from '../../models/location';
import { parseSignature, soleEnumChoices, type Signature } from '../../core/signature';
import { parseTaskSpec, type TaskSpec } from '../../core/task-spec';
import type { Example, Fields } from '../../core/types';
import { integerFlag, stringFlag, UsageError, writeJson, type Command, type Values } from '../command';
import { lmConfigFromFlags, LM_OPTIONS } from '../lm-options';
import { createProgressBar } from '../../ui/progress';
import { formatMs, formatPercent } from '../../ui/table';
import { renderTaskSummary } from '../../ui/task-summary';

const METRICS = BUILT_IN_METRICS;

/** A JSONL line is `{id?, inputs, outputs}` or a flat object holding the signature's fields by name. */
export function readExamples(file: string, signature: Signature): Example[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --data ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pick = (row: Record<string, unknown>, fields: Signature['inputs'], line: number): Fields =>
    Object.fromEntries(
      fields.map((f) => {
        const value = row[f.name];
        if (value === undefined) throw new Error(`${path.basename(file)} line ${line}: missing field "${f.name}"`);
        return [f.name, value as Fields[string]];
      }),
    );
  return text.split('\n').flatMap((raw, index) => {
    if (raw.trim() === '') return [];
    const line = index + 1;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(raw) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${path.basename(file)} line ${line}: invalid JSON (${(err as Error).message})`);
    }
    const nested = typeof row.inputs === 'object' && typeof row.outputs === 'object';
    const inputs = nested ? (row.inputs as Fields) : pick(row, signature.inputs, line);
    const outputs = nested ? (row.outputs as Fields) : pick(row, signature.outputs, line);
    return [{ id: typeof row.id === 'string' ? row.id : `line-${line}`, inputs, outputs }];
  });
}

function readJson(flag: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read --${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readProgram(file: string): { id: string; program: ProgramSpec } {
  const artifact = parseArtifact(readJson('program', file));
  return { id: artifact.id, program: artifact.program };
}

/** The spec's zero-shot program: what `ensureBaseline` deploys first. */
function specProgram(spec: TaskSpec): { id: string; program: ProgramSpec } {
  const program = createProgram(spec.signature, spec.instructions, { adapter: spec.adapter, lm: { temperature: spec.lm.temperature, maxTokens: spec.lm.maxTokens } });
  return { id: `${spec.name} (zero-shot)`, program };
}

const SPLITS = ['holdout', 'train'] as const;

/** What to evaluate: a program and examples from --program/--data, or from --spec (and --split). */
async function target(values: Values, cwd: string): Promise<{ id: string; program: ProgramSpec; examples: Example[]; spec?: TaskSpec }> {
  const specFile = stringFlag(values, 'spec');
  const dataFile = stringFlag(values, 'data');
  const programFile = stringFlag(values, 'program');
  if ((specFile === undefined) === (dataFile === undefined)) throw new UsageError('give either --data FILE.jsonl or --spec FILE (with --split)');
  if (specFile === undefined) {
    if (programFile === undefined) throw new UsageError('--program is required with --data');
    const { id, program } = readProgram(path.resolve(cwd, programFile));
    return { id, program, examples: readExamples(path.resolve(cwd, dataFile as string), parseSignature(program.signature)) };
  }
  const split = stringFlag(values, 'split') ?? 'holdout';
  if (!(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${split}"`);
  const spec = parseTaskSpec(readJson('spec', path.resolve(cwd, specFile)));
  const { id, program } = programFile === undefined ? specProgram(spec) : readProgram(path.resolve(cwd, programFile));
  // Relative data paths resolve from the working directory, as in the worker.
  const examples = await loadDataset(spec.data[split as (typeof SPLITS)[number]], parseSignature(program.signature), { baseDir: cwd });
  return { id, program, examples, spec };
}

/** The spec's LM unless a flag names another. */
function lmConfig(values: Values, env: NodeJS.ProcessEnv, spec: TaskSpec | undefined): LMConfig {
  const flagged = Object.keys(LM_OPTIONS).some((name) => stringFlag(values, name) !== undefined);
  if (!spec || flagged) return lmConfigFromFlags(values, env);
  const { provider, model, baseURL } = spec.lm;
  return baseURL ? { provider, model, baseURL } : { provider, model };
}

/** Label accuracy for a lone enum output (the usual classifier), exact match otherwise. */
function defaultMetric(signature: Signature): string {
  return soleEnumChoices(signature) ? 'label_accuracy' : 'exact_match';
}

/** --metric/--field, else the spec's metric, else the signature's natural one. */
function chosenMetric(values: Values, signature: Signature, spec: TaskSpec | undefined): MetricSpec {
  const name = stringFlag(values, 'metric') ?? spec?.metric.name ?? defaultMetric(signature);
  const parsed = metricSpecSchema.safeParse({ name, field: stringFlag(values, 'field') ?? spec?.metric.field });
  if (!parsed.success) throw new UsageError(`--metric must be one of ${METRICS.join(', ')} or a name registered by KKACHI_METRICS_MODULE, got "${name}"`);
  return parsed.data;
}

/** `predictions` counts answers (cache hits included); `lmCalls` counts provider calls, as the activities do. */
export function summarize(report: EvalReport, provider: Usage) {
  return {
    n: report.n,
    accuracy: report.passRate,
    meanScore: report.meanScore,
    p50Ms: report.latency.p50,
    p95Ms: report.latency.p95,
    predictions: report.usage.predictions,
    lmCalls: provider.calls,
    cacheHits: report.usage.cacheHits,
    errors: report.errors,
  };
}

export const evalCommand: Command = {
  path: ['eval'],
  summary: "Evaluate a program on a JSONL data set or on a task spec's data, and print the report (task metrics, latency, LM calls).",
  options: {
    program: { type: 'string', value: 'ARTIFACT.json', description: "program artifact (JSON, as stored in the registry); with --spec, default: the spec's zero-shot program" },
    data: { type: 'string', value: 'FILE.jsonl', description: 'examples: {"inputs":{…},"outputs":{…}} or flat {"<field>":…} per line' },
    spec: { type: 'string', value: 'TASK.json', description: "a task spec: its data reference (path, mapping, labels, shuffle/offset/limit), metric and LM" },
    split: { type: 'string', value: SPLITS.join('|'), description: 'which of the spec\'s data sets (default: holdout, the rows the gate scores)' },
    metric: { type: 'string', value: METRICS.join('|'), description: "metric (default: the spec's; else label_accuracy for an enum output, exact_match otherwise)" },
    field: { type: 'string', value: 'NAME', description: 'output field the metric scores (default: all)' },
    concurrency: { type: 'string', value: 'N', description: 'predictions in flight (default 4)' },
    ...LM_OPTIONS,
    json: { type: 'boolean', description: 'print the report (with one row per example) as JSON' },
  },
  async run({ values }, io) {
    const { id, program, examples, spec } = await target(values, io.cwd);
    const signature = parseSignature(program.signature);
    const metricSpec = chosenMetric(values, signature, spec);
    const metric = metricFromSpec(metricSpec, metricsFromEnv(io.env, io.cwd));
    if (examples.length === 0) throw new Error('the data set holds no examples');
    const concurrency = integerFlag(values, 'concurrency', { min: 1, max: 64 }) ?? 4;

    const lm = await createLM(lmConfig(values, io.env, spec), { modelsDir: modelsDir(io.env) });
    const bar = createProgressBar(io.stderr, 'eval');
    try {
      const report = await evaluate(program, examples, {
        lm,
        metric,
        concurrency,
        onProgress: (p) => bar.update({ done: p.done, total: p.total, accuracy: p.meanScore }),
      });
      bar.finish();
      const task = summarizeForTask(report.rows, examples, signature, metricSpec.field);
      const summary = { program: id, lm: lm.id, metric: metricSpec.name, ...summarize(report, lm.meter.snapshot()), ...task };
      if (values.json) return writeJson(io, { ...summary, rows: report.rows });
      io.stdout.write(
        [
          `program   ${id}`,
          `lm        ${lm.id}`,
          `examples  ${summary.n}`,
          `${summary.metric.padEnd(9)} ${formatPercent(summary.accuracy)} (mean score ${summary.meanScore.toFixed(3)})`,
          `latency   p50 ${formatMs(summary.p50Ms)}, p95 ${formatMs(summary.p95Ms)}`,
          `answers   ${summary.predictions} (${summary.cacheHits} from the cache, ${summary.errors} errors); LM calls ${summary.lmCalls}`,
          ...[renderTaskSummary(task)].filter((t) => t !== null).map((t) => `\n${t}`),
        ].join('\n') + '\n',
      );
    } finally {
      await disposeLocalRuntimes();
    }
  },
};
