/**
 * `kkachi task status`: the learner's `status` query — active version, feedback counters, cycles — and,
 * while a cycle runs, its stage and progress (read from Temporal: the cycle's search attributes and its
 * activity's last heartbeat).
 */
import { stringFlag, writeJson, type Command } from '../command';
import { withLearner } from '../temporal-client';
import { formatPercent, renderTable, shortId } from '../../ui/table';
import { learnerWorkflowId, statusQuery, type LearnerStatus } from '../../contract';
import { cycleProgress, describeCycleProgress, type CycleProgress } from '../../temporal/cycle-progress';
import { openStore, storeLocation, versionMetrics, type VersionMetrics } from '../../store';

const ms = (x: number): string => `${x.toFixed(0)}`;

/**
 * The seed's monitoring numbers per version, oldest first: predictions, corrections, feedback rate,
 * live accuracy, latency mean/p50/p95 (from serving's prediction log and the feedback), and the
 * held-out accuracy with its change from the version before (the improvement a cycle brought).
 */
export function renderVersions(versions: readonly VersionMetrics[]): string {
  return renderTable(
    [
      { header: 'version' }, { header: 'status' }, { header: 'held-out', align: 'right' }, { header: 'change', align: 'right' },
      { header: 'predictions', align: 'right' }, { header: 'corrections', align: 'right' }, { header: 'feedback rate', align: 'right' },
      { header: 'live accuracy', align: 'right' }, { header: 'latency mean/p50/p95 ms', align: 'right' },
    ],
    versions.map((v) => {
      const change = v.heldOutChange === null ? '-' : `${v.heldOutChange >= 0 ? '+' : ''}${(v.heldOutChange * 100).toFixed(1)} pts`;
      return [
        shortId(v.versionId), v.status, v.heldOut === null ? '-' : formatPercent(v.heldOut), change,
        String(v.predictions), String(v.corrections), v.feedbackRate === null ? '-' : formatPercent(v.feedbackRate),
        v.liveAccuracy === null ? '-' : formatPercent(v.liveAccuracy), v.latency ? `${ms(v.latency.meanMs)}/${ms(v.latency.p50Ms)}/${ms(v.latency.p95Ms)}` : '-',
      ];
    }),
  );
}

/** What a running cycle is doing (shared with the dashboard). */
export const renderProgress = describeCycleProgress;

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
  const notes = status.cycles.flatMap((cy) => (cy.valWarning ? [`cycle ${cy.cycle}: ${cy.valWarning}`] : []));
  return `${lines.join('\n')}\n\n${table}\n${notes.map((n) => `${n}\n`).join('')}`;
}

export const taskStatusCommand: Command = {
  path: ['task', 'status'],
  summary: "Show a task's learner status: active version, feedback counters, pending corrections, cycles, and each version's live metrics.",
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
    const store = await openStore(storeLocation(io.env));
    const versions = await versionMetrics(store, task).finally(() => store.close());
    if (values.json) return writeJson(io, { ...status, progress, versions });
    io.stdout.write(`${renderStatus(status, progress)}\n${renderVersions(versions)}\n`);
  },
};
