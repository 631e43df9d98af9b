/** The closing tables of `kkachi demo --example spam|qa`: one row per version, columns that fit the task. */
import type { LearnerDemoOutcome } from '../../demo/learner-run';
import type { LearnerVersionRow } from '../../demo/learner-results';
import type { TaskSummary } from '../../core/report-summary';
import { formatPercent, renderTable, shortId, type Column } from '../../ui/table';
import { renderTaskSummary } from '../../ui/task-summary';

const score = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));

/** Precision / recall of one label in a summary, as "0.812 / 0.650". */
function labelPR(summary: TaskSummary | null, label: string | null): string {
  const scores = summary?.classification?.perLabel.find((l) => l.label === label);
  return scores ? `${score(scores.precision)} / ${score(scores.recall)}` : '-';
}

function taskColumns(o: LearnerDemoOutcome): { columns: Column[]; cells: (r: LearnerVersionRow) => string[] } {
  if (o.focusLabel !== null) {
    const label = o.focusLabel;
    return {
      columns: [
        { header: 'held-out acc', align: 'right' },
        { header: 'macro-F1', align: 'right' },
        { header: `${label} P / R`, align: 'right' },
        { header: 'live acc', align: 'right' },
        { header: `live ${label} P / R`, align: 'right' },
      ],
      cells: (r) => [formatPercent(r.heldOutAccuracy), score(r.heldOut?.classification?.macroF1), labelPR(r.heldOut, label), formatPercent(r.liveAccuracy), labelPR(r.live, label)],
    };
  }
  return {
    columns: [
      { header: 'held-out F1', align: 'right' },
      { header: 'held-out EM', align: 'right' },
      { header: 'F1 ≥ 0.5', align: 'right' },
      { header: 'live acc', align: 'right' },
      { header: 'live F1', align: 'right' },
      { header: 'live EM', align: 'right' },
    ],
    cells: (r) => [
      score(r.heldOut?.answers?.meanF1),
      formatPercent(r.heldOut?.answers?.exactMatch),
      formatPercent(r.heldOutAccuracy),
      formatPercent(r.liveAccuracy),
      score(r.live?.answers?.meanF1),
      formatPercent(r.live?.answers?.exactMatch),
    ],
  };
}

export function renderLearnerOutcome(o: LearnerDemoOutcome): string {
  const task = taskColumns(o);
  const table = renderTable(
    [
      { header: 'version' },
      { header: 'id' },
      { header: 'trigger' },
      { header: 'decision' },
      ...task.columns,
      { header: 'served', align: 'right' },
      { header: 'feedback rate', align: 'right' },
    ],
    o.rows.map((r) => [
      `${r.label}${r.active ? ' *' : ''}`,
      shortId(r.versionId),
      r.trigger ?? '-',
      r.decision,
      ...task.cells(r),
      String(r.served),
      formatPercent(r.feedbackRate),
    ]),
  );
  const active = o.rows.find((r) => r.active);
  const f = o.feedback;
  const lines = [
    '',
    `Results (${o.example}, ${o.mode} run, ${o.model}, ${o.data.holdout} held-out examples; live = what the simulated users asked each version; * = active now)`,
    table,
    '',
    ...o.rows.filter((r) => r.decision !== 'baseline').map((r) => `${r.label} (${r.trigger ?? 'no'} trigger): ${r.decision} — ${r.reason}`),
    '',
  ];
  const heldOut = active?.heldOut && renderTaskSummary(active.heldOut);
  if (active && heldOut) lines.push(`The version in service (${shortId(active.versionId)}) on the held-out examples:`, heldOut, '');
  const live = active?.live && renderTaskSummary(active.live);
  if (active && live) lines.push(`... and on the users' live traffic it served:`, live, '');
  lines.push(
    `feedback: ${f.sent} records sent by simulated users = ${f.corrections} corrections + ${f.confirmations} confirmations; the learner counted ${o.learner.counters.received} (${o.learner.counters.corrections} corrections)${f.failed ? `; ${f.failed} predictions failed and were not sent` : ''}`,
    `serving: ${o.swaps.length} version${o.swaps.length === 1 ? '' : 's'} answered the users in turn (${o.swaps.map(shortId).join(' → ')}), ${o.servingLmCalls} LM calls`,
    `registry: active ${shortId(o.storeActive)}; store ${o.storePath}`,
    `time: ${o.seconds}s`,
  );
  if (o.webUi) lines.push(`Web UI: ${o.webUi}${o.temporal.startedByDemo && !o.temporal.kept ? ' (the dev server has stopped; rerun with --keep-server to browse it)' : ''}`);
  return `${lines.join('\n')}\n`;
}
