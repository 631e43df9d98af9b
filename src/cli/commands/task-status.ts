/** `kkachi task status`: the learner's `status` query — active version, feedback counters, cycles. */
import { stringFlag, writeJson, type Command } from '../command';
import { withLearner } from '../temporal-client';
import { formatPercent, renderTable, shortId } from '../ui/table';
import { statusQuery, type LearnerStatus } from '../../contract';

export function renderStatus(status: LearnerStatus): string {
  const c = status.counters;
  const lines = [
    `task                ${status.task}`,
    `active version      ${status.activeVersion ?? '-'}`,
    `feedback            ${c.received} received (${c.corrections} corrections), ${c.duplicates} duplicates, ${c.rejected} rejected`,
    `pending corrections ${status.pendingCorrections}${status.buffered ? ` (+${status.buffered} buffered)` : ''}`,
    `cycle running       ${status.running ? 'yes' : 'no'}`,
  ];
  if (status.cycles.length === 0) return `${lines.join('\n')}\ncycles              none yet\n`;
  const table = renderTable(
    [{ header: 'cycle', align: 'right' }, { header: 'trigger' }, { header: 'candidate' }, { header: 'accuracy', align: 'right' }, { header: 'decision' }, { header: 'reason' }],
    status.cycles.map((cy) => [
      String(cy.cycle),
      cy.trigger,
      shortId(cy.candidateVersion),
      cy.gate ? `${formatPercent(cy.gate.baseline.accuracy)} → ${formatPercent(cy.gate.candidate.accuracy)}` : '-',
      cy.decision,
      cy.reason,
    ]),
  );
  return `${lines.join('\n')}\n\n${table}\n`;
}

export const taskStatusCommand: Command = {
  path: ['task', 'status'],
  summary: "Show a task's learner status: active version, feedback counters, pending corrections, cycles.",
  options: {
    task: { type: 'string', value: 'NAME', description: 'task name', required: true },
    json: { type: 'boolean', description: 'print the raw status query result as JSON' },
  },
  async run({ values }, io) {
    const status = await withLearner(io.env, stringFlag(values, 'task') as string, (handle) => handle.query(statusQuery));
    if (values.json) return writeJson(io, status);
    io.stdout.write(renderStatus(status));
  },
};
