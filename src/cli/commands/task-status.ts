/**
 * `kkachi task status`: the learner's `status` query — active version, feedback counters, cycles — and,
 * while a cycle runs, its stage and progress (read from Temporal: the cycle's search attributes and its
 * activity's last heartbeat).
 */
import { stringFlag, writeJson, type Command } from '../command';
import { withLearner } from '../temporal-client';
import { formatPercent, renderTable, shortId } from '../../ui/table';
import { learnerWorkflowId, statusQuery, type LearnerStatus } from '../../contract';
import { cycleProgress, type CycleProgress } from '../../temporal/cycle-progress';

/** `evaluate: 57 of 120 examples, 83.3% right so far` — what a running cycle is doing. */
export function renderProgress(p: CycleProgress): string {
  const step = p.activity?.progress;
  const detail = !step
    ? p.activity
      ? `, ${p.activity.type} under way`
      : ''
    : `, ${step.stage}: ${step.done} of ${step.total}${step.correct !== undefined && step.done > 0 ? `, ${formatPercent(step.correct / step.done)} right so far` : ''}`;
  const attempt = p.activity && p.activity.attempt > 1 ? ` (attempt ${p.activity.attempt})` : '';
  return `cycle ${p.cycle} ${p.stage}${detail}${attempt} — workflow ${p.workflowId}`;
}

export function renderStatus(status: LearnerStatus, progress: CycleProgress | null = null): string {
  const c = status.counters;
  const lines = [
    `task                ${status.task}`,
    `active version      ${status.activeVersion ?? '-'}`,
    `feedback            ${c.received} received (${c.corrections} corrections), ${c.duplicates} duplicates, ${c.rejected} rejected`,
    `pending corrections ${status.pendingCorrections}${status.buffered ? ` (+${status.buffered} buffered)` : ''}`,
    `cycle running       ${progress ? renderProgress(progress) : status.running ? 'yes' : 'no'}`,
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
    json: { type: 'boolean', description: "print the status query result as JSON, with the running cycle's `progress`" },
  },
  async run({ values }, io) {
    const task = stringFlag(values, 'task') as string;
    const { status, progress } = await withLearner(io.env, task, async (handle, session) => {
      const status = await handle.query(statusQuery);
      const running = status.cycles.find((c) => c.decision === 'running');
      return { status, progress: running ? await cycleProgress(session.client, learnerWorkflowId(task), running.cycle) : null };
    });
    if (values.json) return writeJson(io, { ...status, progress });
    io.stdout.write(renderStatus(status, progress));
  },
};
