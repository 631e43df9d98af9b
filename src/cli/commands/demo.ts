/** `kkachi demo` (`npm run demo`): the seven-stage optimization pipeline end to end, offline. */
import { runDemo, DemoInterrupted, type DemoOutcome } from '../../demo/run';
import { PLANS } from '../../demo/plan';
import { writeJson, type CliIO, type Command } from '../command';
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

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Run the seven-stage optimization pipeline end to end on the embedded model and real data (the main job).',
  options: {
    quick: { type: 'boolean', description: 'smaller splits for CI (under 3 minutes on 2 cores)' },
    'keep-server': { type: 'boolean', description: 'leave the Temporal dev server the demo started running afterwards (to browse the Web UI)' },
    json: { type: 'boolean', description: 'print the outcome (table rows, counts, ids) as JSON on stdout; the story goes to stderr' },
  },
  details: [
    'Installs what is missing (Temporal CLI into .venv, the default model into $KKACHI_HOME/models), starts a',
    'dev server unless one answers at $TEMPORAL_ADDRESS, runs a worker in-process, and plays the users with the',
    'UCI Sentiment Labelled Sentences from npm sentiment@5.0.2. Every number printed comes from the run.',
  ].join('\n'),
  async run({ values }, io) {
    const json = values.json === true;
    let outcome: DemoOutcome;
    try {
      outcome = await runDemo({
        plan: PLANS[values.quick ? 'quick' : 'full'],
        keepServer: values['keep-server'] === true,
        env: io.env,
        cwd: io.cwd,
        events: events(io, json),
        interrupted: io.interrupted?.(),
      });
    } catch (err) {
      if (err instanceof DemoInterrupted) {
        io.stderr.write(`kkachi: ${err.message}\n`);
        return 130;
      }
      throw err;
    }
    if (json) writeJson(io, outcome);
    else io.stdout.write(renderOutcome(outcome));
    if (outcome.problems.length > 0) throw new Error(`the run's bookkeeping does not add up: ${outcome.problems.join('; ')}`);
  },
};
