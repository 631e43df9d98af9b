/** `kkachi eval`: runs a program artifact over a JSONL set with core `evaluate` and prints the report. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArtifact } from '../../core/artifact';
import { evaluate, type EvalReport } from '../../core/evaluate';
import { disposeLocalRuntimes } from '../../core/lm/local-runtime';
import { createLM } from '../../core/lm/factory';
import { BUILT_IN_METRICS, metricFromSpec, metricSpecSchema } from '../../core/metrics';
import { metricsFromEnv } from '../../core/metrics-module';
import { soleEnumChoices, type ProgramSpec } from '../../core/program';
import { parseSignature, type Signature } from '../../core/signature';
import type { Example, Fields } from '../../core/types';
import { integerFlag, stringFlag, UsageError, writeJson, type Command } from '../command';
import { lmConfigFromFlags, LM_OPTIONS } from '../lm-options';
import { createProgressBar } from '../ui/progress';
import { formatMs, formatPercent } from '../ui/table';

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

function readProgram(file: string): { id: string; program: ProgramSpec } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read --program ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const artifact = parseArtifact(json);
  return { id: artifact.id, program: artifact.program };
}

/** Label accuracy for a lone enum output (the usual classifier), exact match otherwise. */
function defaultMetric(signature: Signature): string {
  return soleEnumChoices(signature) ? 'label_accuracy' : 'exact_match';
}

export function summarize(report: EvalReport) {
  return {
    n: report.n,
    accuracy: report.passRate,
    meanScore: report.meanScore,
    p50Ms: report.latency.p50,
    p95Ms: report.latency.p95,
    lmCalls: report.usage.calls,
    cacheHits: report.usage.cacheHits,
    errors: report.errors,
  };
}

export const evalCommand: Command = {
  path: ['eval'],
  summary: 'Evaluate a program artifact on a JSONL data set and print the report (accuracy, latency, LM calls).',
  options: {
    program: { type: 'string', value: 'ARTIFACT.json', description: 'program artifact (JSON, as stored in the registry)', required: true },
    data: { type: 'string', value: 'FILE.jsonl', description: 'examples: {"inputs":{…},"outputs":{…}} or flat {"<field>":…} per line', required: true },
    metric: { type: 'string', value: METRICS.join('|'), description: 'metric (default: label_accuracy for an enum output, else exact_match)' },
    field: { type: 'string', value: 'NAME', description: 'output field the metric scores (default: all)' },
    concurrency: { type: 'string', value: 'N', description: 'predictions in flight (default 4)' },
    ...LM_OPTIONS,
    json: { type: 'boolean', description: 'print the report (with one row per example) as JSON' },
  },
  async run({ values }, io) {
    const { id, program } = readProgram(path.resolve(io.cwd, stringFlag(values, 'program') as string));
    const signature = parseSignature(program.signature);
    const metricName = stringFlag(values, 'metric') ?? defaultMetric(signature);
    const metricSpec = metricSpecSchema.safeParse({ name: metricName, field: stringFlag(values, 'field') });
    if (!metricSpec.success) throw new UsageError(`--metric must be one of ${METRICS.join(', ')} or a name registered by KKACHI_METRICS_MODULE, got "${metricName}"`);
    const metric = metricFromSpec(metricSpec.data, metricsFromEnv(io.env, io.cwd));
    const examples = readExamples(path.resolve(io.cwd, stringFlag(values, 'data') as string), signature);
    if (examples.length === 0) throw new Error('--data holds no examples');
    const concurrency = integerFlag(values, 'concurrency', { min: 1, max: 64 }) ?? 4;

    const lm = await createLM(lmConfigFromFlags(values, io.env));
    const bar = createProgressBar(io.stderr, 'eval');
    try {
      const report = await evaluate(program, examples, {
        lm,
        metric,
        concurrency,
        onProgress: (p) => bar.update({ done: p.done, total: p.total, accuracy: p.meanScore }),
      });
      bar.finish();
      const summary = { program: id, lm: lm.id, metric: metricSpec.data.name, ...summarize(report) };
      if (values.json) return writeJson(io, { ...summary, rows: report.rows });
      io.stdout.write(
        [
          `program   ${id}`,
          `lm        ${lm.id}`,
          `examples  ${summary.n}`,
          `${summary.metric.padEnd(9)} ${formatPercent(summary.accuracy)} (mean score ${summary.meanScore.toFixed(3)})`,
          `latency   p50 ${formatMs(summary.p50Ms)}, p95 ${formatMs(summary.p95Ms)}`,
          `LM calls  ${summary.lmCalls} (${summary.cacheHits} cached, ${summary.errors} errors)`,
        ].join('\n') + '\n',
      );
    } finally {
      await disposeLocalRuntimes();
    }
  },
};
